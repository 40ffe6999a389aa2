"""The worker's busy-calendar tasks (procrastinate). Every REFRESH_CRON, the tick asks
the one narrow function `calendars_busy_clinics()` (migration calendars/0003) which
clinics have busy calendars (clinic ids, nothing else) and defers one job per clinic;
that job, in the clinic's tenant context, defers one refresh job per calendar. A
calendar is also refreshed right after it is added."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone
from procrastinate.contrib.django import app

from clinic.calendars import busy
from clinic.calendars.busy_store import busy_calendar_store
from clinic.calendars.models import BusyCalendar
from tenancy.jobs import defer_on_commit, defer_per_clinic, tenant_task
from tenancy.models import Organization

logger = logging.getLogger(__name__)

QUEUE = "calendars"
REFRESH_CRON = "*/15 * * * *"


@app.periodic(cron=REFRESH_CRON, periodic_id="busy-calendars-tick")
@app.task(queue=QUEUE, queueing_lock="busy-calendars-tick", pass_context=False)
def tick(timestamp: int) -> int:
    return defer_per_clinic(refresh_clinic, "SELECT calendars_busy_clinics()", lock_prefix="busy-clinic")


@tenant_task(app, queue=QUEUE)
def refresh_clinic(*, organization_id: str) -> int:
    calendars = list(BusyCalendar.objects.all())
    for calendar in calendars:
        defer_refresh(calendar)
    return len(calendars)


# Beyond the fetch's deadline: the job's own transactions and the parsing.
LEASE_MARGIN_SECONDS = 30


def refresh_lease() -> float:
    fetch = max(settings.CALENDAR_FETCH_TIMEOUT_SECONDS, settings.CALDAV_TIMEOUT_SECONDS)
    return fetch + LEASE_MARGIN_SECONDS


# The same bound as CalDAV pushes, of the same kind (clinic.calendars.caldav.tasks).
@tenant_task(app, queue=QUEUE, per_step=True, in_flight=QUEUE, lease_seconds=refresh_lease)
def refresh_busy_calendar(*, organization_id: str, busy_calendar_id: str, step) -> str:
    """Read where the calendar is (its URL, or its CalDAV connection and password), read
    it with no transaction open (it may take the whole time limit), then store the
    result. Logs say which calendar, never its URL."""
    with step():
        calendar = BusyCalendar.objects.select_related("caldav_connection").filter(pk=busy_calendar_id).first()
        if calendar is None:
            return "removed"
        zone = Organization.objects.get(pk=calendar.organization_id).zone
        source = busy.source_of(calendar)
    now = timezone.now()
    reading = busy.read_source(source, zone=zone, now=now)
    with step():
        if not BusyCalendar.objects.filter(pk=busy_calendar_id).exists():
            return "removed"  # removed while it was being fetched
        calendar = busy_calendar_store(busy_calendar=calendar, reading=reading, now=now)
    if reading.error:
        logger.info("busy calendar %s could not be refreshed: %s", busy_calendar_id, reading.error)
    return calendar.status


def defer_refresh(calendar: BusyCalendar) -> None:
    defer_on_commit(
        refresh_busy_calendar,
        organization_id=calendar.organization_id,
        busy_calendar_id=str(calendar.id),
        queueing_lock=f"busy-calendar:{calendar.id}",
    )
