"""`manage.py seed_demo [--if-empty]`: two demo clinics to click through.

Everything is created as the runtime role through the real services, inside each
clinic's tenant context, so the demo data obeys the same rules (RLS, composite keys,
no double booking) as real data. All of it is one transaction: a failure leaves
nothing behind. Running it again changes nothing.

The appointments' histories read as a real week would: each booking made some days
before, each step at a plausible moment of the appointment's own day (arrived just
before the start, completed or missed at its end, confirmed or cancelled the day
before), recorded as made by the system (via="system") for the demo's staff."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.api.demo import create_demo_keys
from clinic.appointments.management.commands._demo_data import (
    CLINICS,
    DEMO_PASSWORD,
    PATIENT_NOTES,
    SHARED_STAFF,
    DemoClinic,
    DemoUser,
)
from clinic.appointments.models import Appointment, AppointmentStatusChange, AppointmentType, Patient, Provider
from clinic.appointments.services import (
    SlotConflict,
    appointment_book,
    appointment_set_status,
    appointment_type_create,
    patient_create,
    provider_create,
    working_hours_set,
)
from clinic.appointments.timezones import localize, to_local
from clinic.dates import locale_for_timezone
from clinic.messaging.demo import set_up_demo_messaging
from tenancy.context import tenant_context
from tenancy.models import Membership, Organization
from tenancy.services import membership_add, organization_create

DAYS_AROUND_TODAY = 3  # a week: three days back, today, three days ahead
LUNCH = (dt.time(12), dt.time(13))
Status = Appointment.Status
VIA = AppointmentStatusChange.Via.SYSTEM


@dataclass
class Clinic:
    """One demo clinic as created: what bookings draw from."""

    org: Organization
    owner: object
    staff: object
    providers: list[Provider]
    hours: dict  # provider pk -> {weekday: (starts, ends)}
    types: list[AppointmentType]
    weights: list[int]
    patients: list[Patient]
    # When things happened; apart from `rng`, so the bookings and statuses stay as they were.
    timing: random.Random
    next_patient: int = 0
    booked: int = 0


class Command(BaseCommand):
    help = "Load two demo clinics with providers, patients and a week of appointments."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any user exists (for `make run` on every start)."
        )

    def handle(self, *args, if_empty: bool = False, **options) -> None:
        users = get_user_model().objects
        if if_empty and users.exists():
            self.stdout.write("Users exist already: demo data not loaded.")
            return
        taken = users.filter(username__in=self._usernames()).values_list("username", flat=True).first()
        if taken:
            self.stdout.write(f"Demo data is loaded already (user {taken} exists): nothing to do.")
            return
        self.api_keys: list[tuple[str, str]] = []
        try:
            with transaction.atomic():
                self._seed()
        except IntegrityError as exc:
            raise CommandError(f"Could not load the demo data, so none was loaded: {exc}") from exc
        self._print_credentials()

    @staticmethod
    def _usernames() -> list[str]:
        return [SHARED_STAFF.username, *(clinic.owner.username for clinic in CLINICS)]

    def _seed(self) -> None:
        rng = random.Random(2026)  # noqa: S311 (demo data, not secrets: the same demo every time)
        staff = _user(SHARED_STAFF, is_staff=False)
        for demo in CLINICS:
            owner = _user(demo.owner, is_staff=True)
            org = organization_create(
                name=demo.name,
                slug=demo.slug,
                timezone=demo.timezone,
                owner=owner,
                locale=locale_for_timezone(demo.timezone),
            )
            with tenant_context(org=org, user=owner):
                owner_membership = Membership.objects.get(organization=org, user=owner)
                membership_add(user=staff, role=Membership.Role.STAFF, added_by=owner_membership)
                clinic = _set_up(demo, org, owner, staff, rng)
                set_up_demo_messaging(demo.slug)
                _book_week(clinic, rng)
                self.api_keys += create_demo_keys(clinic_name=demo.name, owner=owner)
            self.stdout.write(
                f"{demo.name}: {len(clinic.providers)} providers, {len(clinic.patients)} patients, "
                f"{clinic.booked} appointments."
            )

    def _print_credentials(self) -> None:
        rows = [(clinic.owner.username, f"owner of {clinic.name} (and /admin/)") for clinic in CLINICS]
        rows.append((SHARED_STAFF.username, f"staff at {' and '.join(clinic.name for clinic in CLINICS)}"))
        self.stdout.write(self.style.SUCCESS("\nDemo clinics are ready. Sign in with:"))
        for username, role in rows:
            self.stdout.write(f"  {username:<16} password {DEMO_PASSWORD}   {role}")
        self.stdout.write(self.style.SUCCESS("\nAPI keys (shown only now; see README, 'API quick start'):"))
        for description, key in self.api_keys:
            self.stdout.write(f"  {key}   {description}")


def _user(demo: DemoUser, *, is_staff: bool):
    return get_user_model().objects.create_user(
        username=demo.username,
        email=demo.email,
        password=DEMO_PASSWORD,
        first_name=demo.first_name,
        last_name=demo.last_name,
        is_staff=is_staff,
    )


def _set_up(demo: DemoClinic, org: Organization, owner, staff, rng: random.Random) -> Clinic:
    providers, hours = [], {}
    for spec in demo.providers:
        provider = provider_create(title=spec.title, name=spec.name, specialty=spec.specialty)
        working_hours_set(provider=provider, hours=spec.hours)
        providers.append(provider)
        hours[provider.pk] = spec.hours
    types = [
        appointment_type_create(name=kind.name, default_duration=kind.minutes, colour=kind.colour)
        for kind in demo.types
    ]
    patients = [_patient(demo, index, first, last, rng) for index, (first, last) in enumerate(demo.patients)]
    return Clinic(
        org=org,
        owner=owner,
        staff=staff,
        providers=providers,
        hours=hours,
        types=types,
        weights=[kind.weight for kind in demo.types],
        patients=patients,
        timing=random.Random(f"{demo.slug}-timing"),  # noqa: S311 (demo data)
    )


def _patient(demo: DemoClinic, index: int, first: str, last: str, rng: random.Random) -> Patient:
    born = dt.date(1942, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 78))
    email = f"{first}.{last}".lower().replace("'", "") + f"@{demo.email_domain}" if rng.random() < 0.7 else ""
    return patient_create(
        first_name=first,
        last_name=last,
        date_of_birth=born,
        phone=f"{demo.phone_prefix}{demo.first_number + index:04d}",
        email=email,
        notes=rng.choice(PATIENT_NOTES),
        sms_consent=Patient.SmsConsent.OPTED_OUT if index % 9 == 4 else Patient.SmsConsent.OPTED_IN,
    )


def _book_week(clinic: Clinic, rng: random.Random) -> None:
    zone = clinic.org.zone
    now = timezone.now()
    today = to_local(now, zone).date()
    for offset in range(-DAYS_AROUND_TODAY, DAYS_AROUND_TODAY + 1):
        day = today + dt.timedelta(days=offset)
        for provider in clinic.providers:
            span = clinic.hours[provider.pk].get(day.weekday())
            if span is not None:
                _book_day(clinic, provider, day, span, now, rng)


def _book_day(clinic: Clinic, provider: Provider, day: dt.date, span, now: dt.datetime, rng) -> None:
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
    clinic: Clinic, provider: Provider, kind: AppointmentType, starts_at: dt.datetime, now: dt.datetime
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


def _progress(appointment: Appointment, now: dt.datetime, rng: random.Random, clinic: Clinic) -> None:
    """Walk the appointment to a status that fits its time, through the front-desk rules."""
    for status in _statuses_for(appointment, now, clinic.org.zone, rng.random()):
        at = _status_time(clinic, appointment, status, now)
        appointment_set_status(appointment=appointment, status=status, changed_by=clinic.staff, via=VIA, at=at)


def _status_time(clinic: Clinic, appointment: Appointment, status: str, now: dt.datetime) -> dt.datetime:
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


def _office_time(clinic: Clinic, day: dt.date) -> dt.datetime:
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
