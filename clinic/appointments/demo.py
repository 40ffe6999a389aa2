"""The demo clinics' appointments (manage.py seed_demo): each provider's working day
filled from opening to closing through the schedule's services, so the demo obeys
the same rules (RLS, composite keys, no double booking) as real data.

The histories read as real days would: each booking made some days before, each step
at a plausible moment of the appointment's own day (arrived just before the start,
completed or missed at its end, confirmed or cancelled the day before), recorded as
made by the system (via="system") for the demo's staff. Everything here runs inside
the demo clinic's tenant context."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from clinic.appointments.demo_data import DemoClinic
from clinic.appointments.models import (
    Appointment,
    AppointmentStatusChange,
    AppointmentType,
    Patient,
    Provider,
    WorkingHours,
)
from clinic.appointments.services import SlotConflict, appointment_book, appointment_set_status, working_hours_set
from clinic.core.timezones import local_day_bounds, localize, to_local
from tenancy.models import Organization

# The days `make run` keeps filled: today (in the clinic's zone) and the next three.
DAYS_AHEAD = 3
LUNCH = (dt.time(12), dt.time(13))
Status = Appointment.Status
VIA = AppointmentStatusChange.Via.SYSTEM


@dataclass
class DemoSchedule:
    """One demo clinic as bookings draw from it."""

    org: Organization
    owner: object
    staff: object
    providers: list[Provider]
    hours: dict  # provider pk -> {weekday: (starts, ends)}
    types: list[AppointmentType]
    weights: list[int]
    patients: list[Patient]
    # When things happened; apart from the bookings' random numbers, so those stay as they were.
    timing: random.Random
    next_patient: int = 0
    booked: int = 0


def schedule_of(demo: DemoClinic, org: Organization, owner, staff) -> DemoSchedule:
    """An existing demo clinic as it is now: its active providers with the hours they
    have (a week someone edited is kept), its active types, and its patients."""
    providers = list(Provider.objects.filter(active=True).order_by("name"))
    hours: dict = {provider.pk: {} for provider in providers}
    for row in WorkingHours.objects.filter(provider__in=providers):
        hours[row.provider_id][row.weekday] = (row.starts, row.ends)
    weights = {kind.name: kind.weight for kind in demo.types}
    types = list(AppointmentType.objects.filter(active=True).order_by("name"))
    return DemoSchedule(
        org=org,
        owner=owner,
        staff=staff,
        providers=providers,
        hours=hours,
        types=types,
        weights=[weights.get(kind.name, 1) for kind in types],
        patients=list(Patient.objects.order_by("last_name", "first_name")),
        timing=random.Random(f"{demo.slug}-timing"),  # noqa: S311 (demo data, not secrets)
    )


def cover_every_weekday(demo: DemoClinic, clinic: DemoSchedule) -> list[int]:
    """Give a weekday nobody works (a demo loaded before its providers worked
    weekends) the demo's hours for it, so every day `make run` shows has a schedule.
    Returns the weekdays added."""
    worked = {weekday for week in clinic.hours.values() for weekday in week}
    by_name = {provider.name: provider for provider in clinic.providers}
    added = set()
    for spec in demo.providers:
        provider = by_name.get(spec.name)
        missing = {day: span for day, span in spec.hours.items() if day not in worked}
        if provider is None or not missing:
            continue
        week = {**clinic.hours[provider.pk], **missing}
        working_hours_set(provider=provider, hours=week)
        clinic.hours[provider.pk] = week
        added |= set(missing)
    return sorted(added)


def coming_days_without_appointments(clinic: DemoSchedule, now: dt.datetime) -> list[dt.date]:
    """Today and the next DAYS_AHEAD days, in the clinic's zone, that have no appointment."""
    today = to_local(now, clinic.org.zone).date()
    days = [today + dt.timedelta(days=offset) for offset in range(DAYS_AHEAD + 1)]
    return [day for day in days if not Appointment.objects.filter(starts_at__range=_bounds(day, clinic)).exists()]


def _bounds(day: dt.date, clinic: DemoSchedule) -> tuple[dt.datetime, dt.datetime]:
    start, end = local_day_bounds(day, clinic.org.zone)
    return start, end - dt.timedelta(microseconds=1)


def fill_days(clinic: DemoSchedule, days, now: dt.datetime, rng: random.Random) -> None:
    for day in days:
        for provider in clinic.providers:
            span = clinic.hours[provider.pk].get(day.weekday())
            if span is not None:
                _book_day(clinic, provider, day, span, now, rng)


def _book_day(clinic: DemoSchedule, provider: Provider, day: dt.date, span, now: dt.datetime, rng) -> None:
    """Fill one provider's day from opening to closing, with a lunch break and the odd gap."""
    zone = clinic.org.zone
    cursor = dt.datetime.combine(day, span[0])
    close = dt.datetime.combine(day, span[1])
    while True:
        if rng.random() < 0.2:
            cursor += dt.timedelta(minutes=rng.choice((15, 30)))
        kind = rng.choices(clinic.types, weights=clinic.weights)[0]
        ends = cursor + dt.timedelta(minutes=kind.default_duration)
        if ends > close:
            return
        if cursor.time() < LUNCH[1] and ends.time() > LUNCH[0]:
            cursor = dt.datetime.combine(day, LUNCH[1])
            continue
        appointment = _book(clinic, provider, kind, localize(day, cursor.time(), zone), now)
        if appointment is not None:
            _progress(appointment, now, rng, clinic)
        # Round up to the next quarter hour: schedules are kept on quarters.
        cursor = ends + dt.timedelta(minutes=-ends.minute % 15)


def _book(
    clinic: DemoSchedule, provider: Provider, kind: AppointmentType, starts_at: dt.datetime, now: dt.datetime
) -> Appointment | None:
    """Book the next patient in turn who is free then (one patient, one place at a time),
    on an office day two to three weeks before (or now, for the nearest ones)."""
    day = to_local(starts_at, clinic.org.zone).date()
    # At least a few minutes ago, so any later step of its history comes strictly after it.
    recently = now - dt.timedelta(minutes=clinic.timing.randint(5, 60))
    booked_at = min(recently, _office_time(clinic, day - dt.timedelta(days=clinic.timing.randint(2, 21))))
    for _ in range(len(clinic.patients)):
        patient = clinic.patients[clinic.next_patient % len(clinic.patients)]
        clinic.next_patient += 1
        try:
            appointment = appointment_book(
                patient=patient,
                provider=provider,
                appointment_type=kind,
                starts_at=starts_at,
                booked_by=clinic.staff if clinic.next_patient % 3 else clinic.owner,
                via=VIA,
                at=booked_at,
            )
        except SlotConflict:
            continue
        clinic.booked += 1
        return appointment
    return None


def _progress(appointment: Appointment, now: dt.datetime, rng: random.Random, clinic: DemoSchedule) -> None:
    """Walk the appointment to a status that fits its time, through the front-desk rules."""
    for status in _statuses_for(appointment, now, clinic.org.zone, rng.random()):
        at = _status_time(clinic, appointment, status, now)
        appointment_set_status(appointment=appointment, status=status, changed_by=clinic.staff, via=VIA, at=at)


def _status_time(clinic: DemoSchedule, appointment: Appointment, status: str, now: dt.datetime) -> dt.datetime:
    """When the step happened: the patient arrives a few minutes early; the visit is
    completed, or the patient marked absent, at its end; confirmations (after the
    reminder) and cancellations come the day before, or now for those booked since."""
    if status == Status.ARRIVED:
        return appointment.starts_at - dt.timedelta(minutes=clinic.timing.randint(0, 10))
    if status in (Status.COMPLETED, Status.NO_SHOW):
        return appointment.ends_at
    day_before = to_local(appointment.starts_at, clinic.org.zone).date() - dt.timedelta(days=1)
    after_last_step = appointment.status_changed_at + dt.timedelta(minutes=1)
    return min(now, max(_office_time(clinic, day_before), after_last_step))


def _office_time(clinic: DemoSchedule, day: dt.date) -> dt.datetime:
    """A time in office hours (08:00 to 16:45) on `day`, in the clinic's zone."""
    time = dt.time(clinic.timing.randint(8, 16), clinic.timing.choice((0, 15, 30, 45)))
    return localize(day, time, clinic.org.zone)


def _statuses_for(appointment: Appointment, now: dt.datetime, zone, roll: float) -> list[str]:
    if appointment.ends_at <= now:  # over: most came, a few did not, some cancelled
        if roll < 0.86:
            return [Status.ARRIVED, Status.COMPLETED]
        return [Status.NO_SHOW] if roll < 0.93 else [Status.CANCELLED]
    if appointment.starts_at <= now:  # under way
        return [Status.ARRIVED]
    # Reminders go out the day before, so most of today's and tomorrow's are confirmed.
    soon = to_local(appointment.starts_at, zone).date() <= to_local(now, zone).date() + dt.timedelta(days=1)
    if roll < (0.6 if soon else 0.3):
        return [Status.CONFIRMED]
    return [Status.CANCELLED] if roll > 0.93 else []
