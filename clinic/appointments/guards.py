"""Booking guards: times that are allowed but probably a mistake (a start in the past,
outside the provider's working hours or on their day off, at night). The staff pages
and the API ask the person to confirm them; appointment_book() and
appointment_update() refuse them unless the caller says which were confirmed.

Everything is judged in the clinic's time zone. A provider without any working hours
set up has nothing to compare with, so only the past and night guards apply."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from clinic.appointments.errors import BookingWarning
from clinic.appointments.models import Provider, WorkingHours
from clinic.core.timezones import to_local

IN_PAST = "in_past"
OUTSIDE_WORKING_HOURS = "outside_working_hours"
PROVIDER_DAY_OFF = "provider_day_off"
NIGHT_TIME = "night_time"
CODES = (IN_PAST, OUTSIDE_WORKING_HOURS, PROVIDER_DAY_OFF, NIGHT_TIME)

# The clinic's night: a booking touching it is almost always a typo (21:00 for 09:00).
NIGHT_STARTS, NIGHT_ENDS = dt.time(22), dt.time(6)


def booking_warnings(
    *, provider: Provider, starts_at: dt.datetime, ends_at: dt.datetime, zone: ZoneInfo, now: dt.datetime | None = None
) -> list[BookingWarning]:
    """What to confirm before booking `provider` from `starts_at` to `ends_at`, in CODES order."""
    now = now or timezone.now()
    starts, ends = to_local(starts_at, zone), to_local(ends_at, zone)
    warnings = []
    if starts_at < now:
        warnings.append(BookingWarning(IN_PAST, f"It starts in the past ({starts:%a %-d %b %H:%M})."))
    warnings.extend(_working_hours_warnings(provider, starts, ends))
    if _touches_night(starts, ends):
        warnings.append(
            BookingWarning(
                NIGHT_TIME,
                f"It is at night ({starts:%H:%M}\N{EN DASH}{ends:%H:%M}, between "
                f"{NIGHT_STARTS:%H:%M} and {NIGHT_ENDS:%H:%M} clinic time).",
            )
        )
    return warnings


def _working_hours_warnings(provider: Provider, starts: dt.datetime, ends: dt.datetime) -> list[BookingWarning]:
    week = {hours.weekday: hours for hours in WorkingHours.objects.filter(provider=provider)}
    if not week:
        return []
    hours = week.get(starts.weekday())
    if hours is None:
        day = WorkingHours.Weekday(starts.weekday()).label
        return [BookingWarning(PROVIDER_DAY_OFF, f"{provider} does not work on {day}s.")]
    if starts.time() < hours.starts or ends.date() != starts.date() or ends.time() > hours.ends:
        return [
            BookingWarning(
                OUTSIDE_WORKING_HOURS,
                f"It is outside {provider}'s working hours ({hours.starts:%H:%M}\N{EN DASH}{hours.ends:%H:%M}).",
            )
        ]
    return []


def _touches_night(starts: dt.datetime, ends: dt.datetime) -> bool:
    if ends.date() != starts.date():
        return True  # runs past midnight
    return starts.time() < NIGHT_ENDS or starts.time() >= NIGHT_STARTS or ends.time() > NIGHT_STARTS
