"""Storing a fetch of a busy calendar: the worker's job and busy_calendar_refresh()
both end here. Apart from the other calendar services, which defer that job: kept
apart, neither imports the other."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from clinic.appointments.models import Appointment
from clinic.calendars import busy
from clinic.calendars.models import BusyCalendar, BusyInterval


@transaction.atomic
def busy_calendar_store(*, busy_calendar: BusyCalendar, reading: busy.Reading, now: dt.datetime) -> BusyCalendar:
    """Replace the calendar's busy times with a fetch's, in one transaction (bookings
    see the old set or the new one, never a mix); a failed fetch keeps the old set
    and records the error."""
    calendar = BusyCalendar.objects.select_for_update().get(pk=busy_calendar.pk)
    calendar.last_fetched_at = now
    if reading.error:
        calendar.status, calendar.last_error = BusyCalendar.Status.ERROR, reading.error
    else:
        calendar.status, calendar.last_error = BusyCalendar.Status.OK, ""
        BusyInterval.objects.filter(busy_calendar=calendar).delete()
        spans = reading.spans + _others_appointments(reading.pushed)
        BusyInterval.objects.bulk_create(
            BusyInterval(
                organization_id=calendar.organization_id,
                busy_calendar=calendar,
                provider_id=calendar.provider_id,
                starts_at=starts,
                ends_at=ends,
            )
            for starts, ends in sorted(spans)
        )
    calendar.save(update_fields=["status", "last_error", "last_fetched_at"])
    return calendar


def _others_appointments(pushed: list[tuple[str, busy.Span]]) -> list[busy.Span]:
    """The spans of the pushed appointments that are not this clinic's (under RLS,
    the query sees this clinic's appointments only): another clinic's bookings of the
    same provider are busy time here."""
    ours = {str(pk) for pk in Appointment.objects.filter(pk__in=[pk for pk, _ in pushed]).values_list("pk", flat=True)}
    return [span for pk, span in pushed if pk not in ours]
