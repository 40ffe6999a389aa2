"""What calendars do when a suspended clinic is reactivated (clinic.lifecycle.signals):
each working CalDAV connection is synced again (a push refused meanwhile left its
calendar behind) and the busy calendars are read again."""

from __future__ import annotations

from django.dispatch import receiver

from clinic.calendars import tasks as busy_tasks
from clinic.calendars.caldav import tasks as caldav_tasks
from clinic.calendars.models import BusyCalendar, CalDAVConnection
from clinic.lifecycle import signals
from tenancy.jobs import defer_on_commit


@receiver(signals.clinic_reactivated, dispatch_uid="calendars.resume")
def resume_calendars(sender, *, organization_id, **details) -> None:
    for caldav_connection in CalDAVConnection.objects.working().only("id", "organization_id"):
        caldav_tasks.defer_sync(caldav_connection)
    if BusyCalendar.objects.exists():
        defer_on_commit(busy_tasks.refresh_clinic, organization_id=organization_id)
