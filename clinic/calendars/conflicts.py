"""Busy times against bookings: the appointment services ask `check_busy()` before
they save a new or moved appointment. The clinic's rule (CalendarSettings.busy_conflicts)
decides: refuse (a SlotConflict naming the busy calendar, like a double booking) or
warn (the booking goes ahead and the caller shows the returned message)."""

from __future__ import annotations

import datetime as dt

from django.utils.formats import date_format

from clinic.appointments.errors import SlotConflict
from clinic.calendars.models import BusyConflicts, BusyInterval, CalendarSettings
from clinic.core.timezones import format_span
from tenancy.models import Organization

CONFLICT_CODE = "busy_calendar_overlap"


def busy_interval_at(*, provider_id, starts_at: dt.datetime, ends_at: dt.datetime) -> BusyInterval | None:
    """The provider's first busy time overlapping [starts_at, ends_at) in this clinic."""
    overlapping = BusyInterval.objects.filter(provider_id=provider_id, starts_at__lt=ends_at, ends_at__gt=starts_at)
    return overlapping.select_related("busy_calendar", "provider").order_by("starts_at").first()


def check_busy(*, provider_id, starts_at: dt.datetime, ends_at: dt.datetime) -> str | None:
    """None if the provider is free then; the warning to show if the clinic warns;
    raises SlotConflict if it refuses."""
    interval = busy_interval_at(provider_id=provider_id, starts_at=starts_at, ends_at=ends_at)
    if interval is None:
        return None
    zone = Organization.objects.get(pk=interval.organization_id).zone
    if interval.ends_at - interval.starts_at >= dt.timedelta(days=1):
        starts, ends = (
            f"{date_format(local, 'MONTH_DAY_FORMAT')} {local:%H:%M}"
            for local in (interval.starts_at.astimezone(zone), interval.ends_at.astimezone(zone))
        )
        span = f"from {starts} to {ends} ({zone.key})"
    else:
        span = f"at {format_span(interval.starts_at, interval.ends_at, zone)} ({zone.key})"
    message = f"{interval.provider} is busy in {interval.busy_calendar.name} {span}"
    if CalendarSettings.current().busy_conflicts == BusyConflicts.WARN:
        return f"{message}; booked anyway, as this clinic's calendar settings allow."
    raise SlotConflict(message, code=CONFLICT_CODE)
