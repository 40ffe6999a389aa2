"""When confirmation requests fall due: lead times before the appointment, moved
out of the clinic's quiet hours, and kept in step when the appointment moves or
closes. Called inside the service's transaction (see receivers.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from clinic.appointments.models import Appointment
from clinic.appointments.timezones import NonexistentLocalTime, localize
from clinic.messaging.models import ConfirmationRequest, SmsSettings
from tenancy.models import Organization

# Appointments in these states are still waiting for the patient's answer.
ASKABLE_STATUSES = (Appointment.Status.SCHEDULED,)


def settings_for_current_clinic() -> SmsSettings | None:
    return SmsSettings.objects.first()


def next_allowed_time(due: dt.datetime, settings: SmsSettings, zone: ZoneInfo) -> dt.datetime:
    """`due`, or the first moment after it inside the clinic's sending window
    (local wall-clock times, so the window stays 08:00–21:00 across DST changes)."""
    local = due.astimezone(zone)
    if settings.send_from <= local.time() < settings.send_until:
        return due
    day = local.date() if local.time() < settings.send_from else local.date() + dt.timedelta(days=1)
    return _local_instant(day, settings.send_from, zone)


def _local_instant(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    try:
        return localize(day, time, zone)
    except NonexistentLocalTime:
        # The window opens inside a spring-forward gap: the first instant after it.
        return localize(day, time, zone, fold=1)


def plan_confirmation_requests(appointment: Appointment, *, now: dt.datetime | None = None) -> None:
    """Bring the appointment's pending requests in line with its current time and
    status: supersede those for an old time or a closed appointment, and create (or
    revive) one per lead time for the current start."""
    now = now or timezone.now()
    requests = ConfirmationRequest.objects.filter(appointment=appointment)
    still_askable = appointment.status in ASKABLE_STATUSES and appointment.starts_at > now
    outdated = requests.filter(status=ConfirmationRequest.Status.PENDING)
    if still_askable:
        outdated = outdated.exclude(appointment_starts_at=appointment.starts_at)
    outdated.update(
        status=ConfirmationRequest.Status.SUPERSEDED,
        skip_reason="The appointment moved or is no longer waiting for an answer.",
    )
    settings = settings_for_current_clinic()
    if not still_askable or settings is None or not settings.enabled:
        return
    zone = Organization.objects.get(pk=appointment.organization_id).zone
    for lead, due_at, skip_reason in _schedule(appointment.starts_at, settings, zone, now):
        _upsert(appointment, lead, due_at, skip_reason)


def _schedule(starts_at: dt.datetime, settings: SmsSettings, zone: ZoneInfo, now: dt.datetime):
    """(lead, due_at, skip_reason) per lead time. Of the leads already past when the
    appointment is booked, only the shortest is sent (at once): one text, not three."""
    leads = sorted(settings.lead_minutes or [], reverse=True)
    past = [lead for lead in leads if starts_at - dt.timedelta(minutes=lead) <= now]
    for lead in leads:
        due_at = max(starts_at - dt.timedelta(minutes=lead), now)
        skip_reason = ""
        if lead in past and lead != min(past):
            skip_reason = "Booked after this reminder was due; a later one is sent instead."
        due_at = next_allowed_time(due_at, settings, zone)
        if not skip_reason and due_at >= starts_at:
            skip_reason = "Due in quiet hours, and the next allowed time is after the appointment."
        yield lead, due_at, skip_reason


def _upsert(appointment: Appointment, lead: int, due_at: dt.datetime, skip_reason: str) -> None:
    status = ConfirmationRequest.Status.SKIPPED if skip_reason else ConfirmationRequest.Status.PENDING
    existing = (
        ConfirmationRequest.objects.select_for_update()
        .filter(appointment=appointment, lead_minutes=lead, appointment_starts_at=appointment.starts_at)
        .first()
    )
    if existing is None:
        ConfirmationRequest.objects.create(
            appointment=appointment,
            lead_minutes=lead,
            appointment_starts_at=appointment.starts_at,
            due_at=due_at,
            expires_at=appointment.starts_at,
            status=status,
            skip_reason=skip_reason,
        )
    elif existing.message_id is None and existing.status != ConfirmationRequest.Status.QUEUED:
        # Reinstated, or the settings changed: the request was never texted, so it
        # may be planned again. One already texted for this time stays as it is.
        existing.due_at, existing.status, existing.skip_reason = due_at, status, skip_reason
        existing.save(update_fields=["due_at", "status", "skip_reason"])
