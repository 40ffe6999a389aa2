"""The worker's record of each push: the event's etag, or the connection's failures.
Written by the push job (clinic.calendars.caldav.push), apart from the connection
services, which defer that job: kept apart, neither imports the other."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from clinic.calendars.models import CalDAVConnection, CalDAVEvent

ERROR_LENGTH = 300


@transaction.atomic
def caldav_push_succeeded(*, connection_id, appointment_id, etag: str | None, sequence: int, now: dt.datetime) -> None:
    """The event is in the calendar (`etag` a string) or gone from it (None)."""
    if CalDAVConnection.objects.select_for_update().filter(pk=connection_id).first() is None:
        return  # removed while the request was under way
    events = CalDAVEvent.objects.filter(connection_id=connection_id, appointment_id=appointment_id)
    if etag is None:
        events.delete()
    else:
        event = events.select_for_update().first() or CalDAVEvent(
            connection_id=connection_id, appointment_id=appointment_id
        )
        event.claim_for_current_org()
        event.etag, event.sequence, event.pushed_at = etag[:200], sequence, now
        event.save()
    CalDAVConnection.objects.filter(pk=connection_id).update(consecutive_failures=0, last_error="", last_success_at=now)


@transaction.atomic
def caldav_push_failed(*, connection_id, error: str, broken: bool) -> bool:
    """Count a failure; the connection breaks when `broken` (refused outright) or after
    CALDAV_BROKEN_AFTER_FAILURES in a row. True if it is broken now (no more retries)."""
    connection = CalDAVConnection.objects.select_for_update().filter(pk=connection_id).first()
    if connection is None:
        return True
    connection.consecutive_failures += 1
    connection.last_error = error[:ERROR_LENGTH]
    if broken or connection.consecutive_failures >= settings.CALDAV_BROKEN_AFTER_FAILURES:
        connection.status = CalDAVConnection.Status.BROKEN
    connection.save(update_fields=["consecutive_failures", "last_error", "status"])
    return connection.is_broken
