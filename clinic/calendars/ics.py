"""A feed's calendar as RFC 5545 text (the `icalendar` package).

Times are written in the clinic's own zone (`DTSTART;TZID=Europe/Berlin:…`) with
that zone's VTIMEZONE, so a calendar app shows 09:00 on both sides of a daylight
saving switch. Each appointment is one VEVENT whose UID never changes and whose
SEQUENCE is the appointment's change counter (kept by the services), so an app
replaces its copy when the appointment moves. Cancelled ones stay in the feed with
STATUS:CANCELLED, so apps that had them drop them.

What an event says is the feed's privacy level and nothing more: never notes,
never a phone, birth date or anything clinical."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from icalendar import Calendar, Event

from clinic.appointments.models import Appointment
from clinic.calendars.models import CalendarFeed, Privacy
from tenancy.models import Organization

WINDOW_BACK = dt.timedelta(days=30)
WINDOW_AHEAD = dt.timedelta(days=180)
# How often apps that honour it should fetch again (many choose their own interval).
REFRESH_INTERVAL = dt.timedelta(minutes=15)
PRODID = "-//Clinic//Calendar feed//EN"


def window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    return now - WINDOW_BACK, now + WINDOW_AHEAD


def feed_appointments(feed: CalendarFeed, now: dt.datetime) -> list[Appointment]:
    """The appointments a feed shows: those overlapping its window, its provider's only
    if it has one. Scoped to the current clinic by the tenant manager (and RLS)."""
    starts, ends = window(now)
    appointments = Appointment.objects.filter(ends_at__gt=starts, starts_at__lt=ends)
    if feed.provider_id:
        appointments = appointments.filter(provider_id=feed.provider_id)
    return list(appointments.select_related("patient", "provider", "appointment_type").order_by("starts_at", "id"))


def event_uid(appointment: Appointment) -> str:
    """Stable for the appointment's whole life: moving or cancelling it keeps it."""
    return f"appointment-{appointment.id}@clinic"


def summary(appointment: Appointment, privacy: str, *, with_provider: bool) -> str:
    """The event's title at a privacy level. A whole-clinic feed also names the
    provider (staff, not patient data), or its events could not be told apart."""
    if privacy == Privacy.BUSY:
        text = "Busy"
    else:
        text = appointment.appointment_type.name
        patient = appointment.patient
        if privacy == Privacy.INITIALS:
            text += f" · {initials(patient.first_name, patient.last_name)}"
        elif privacy == Privacy.NAMES:
            text += f" · {patient.full_name}"
    if with_provider:
        text += f" ({appointment.provider.display_name})"
    return text


def initials(first_name: str, last_name: str) -> str:
    return "".join(f"{name.strip()[0].upper()}." for name in (first_name, last_name) if name.strip())


def render(
    *, feed: CalendarFeed, clinic: Organization, privacy: str, appointments: Iterable[Appointment], now: dt.datetime
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{clinic.name} · {feed.scope_label}")
    calendar.add("x-wr-timezone", clinic.timezone)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH_INTERVAL)
    zone = clinic.zone
    for appointment in appointments:
        calendar.add_component(_event(appointment, privacy, zone, with_provider=not feed.provider_id))
    starts, ends = window(now)
    # The zone's rules for the window only: a whole-history VTIMEZONE would be large.
    calendar.add_missing_timezones(first_date=starts.date() - dt.timedelta(days=1), last_date=ends.date())
    return calendar.to_ical()


def render_one(*, appointment: Appointment, clinic: Organization, privacy: str) -> bytes:
    """One appointment as a CalDAV calendar object (RFC 4791): a VCALENDAR holding its
    VEVENT and the clinic zone's VTIMEZONE for the days it spans. The provider is not
    named: the calendar it goes to is the provider's own."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    zone = clinic.zone
    calendar.add_component(_event(appointment, privacy, zone, with_provider=False))
    first = appointment.starts_at.astimezone(zone).date() - dt.timedelta(days=1)
    last = appointment.ends_at.astimezone(zone).date() + dt.timedelta(days=1)
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()


def _event(appointment: Appointment, privacy: str, zone, *, with_provider: bool) -> Event:
    event = Event()
    event.add("uid", event_uid(appointment))
    event.add("sequence", appointment.sequence)
    # The time of the appointment's last change, not of this fetch: the same
    # appointments give the same bytes, and so the same ETag.
    event.add("dtstamp", appointment.updated_at)
    event.add("created", appointment.created_at)
    event.add("last-modified", appointment.updated_at)
    event.add("dtstart", appointment.starts_at.astimezone(zone))
    event.add("dtend", appointment.ends_at.astimezone(zone))
    event.add("summary", summary(appointment, privacy, with_provider=with_provider))
    cancelled = appointment.status == Appointment.Status.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    # A cancelled or missed appointment no longer blocks the provider's time.
    event.add("transp", "OPAQUE" if appointment.holds_slot else "TRANSPARENT")
    event.add("class", "PRIVATE")
    return event
