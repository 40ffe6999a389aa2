"""When confirmation requests fall due: lead times before the appointment, moved
out of the recipient's quiet hours (clinic.messaging.quiet_hours), and kept in step
when the appointment moves or closes, or the patient's number or time zone changes.
Reminders that would go together are merged into one (merging.py). Called inside
the service's transaction (see receivers.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from clinic.appointments.models import Appointment, Patient
from clinic.messaging.merging import lock_appointments, merge_requests
from clinic.messaging.models import ConfirmationRequest, SmsSettings
from clinic.messaging.quiet_hours import send_time, zones_named
from tenancy.models import Organization

# Appointments in these states are still waiting for the patient's answer.
ASKABLE_STATUSES = (Appointment.Status.SCHEDULED,)


def settings_for_current_clinic() -> SmsSettings | None:
    return SmsSettings.objects.first()


def plan_confirmation_requests(appointment: Appointment, *, now: dt.datetime | None = None) -> None:
    """Bring the appointment's pending requests in line with its current time and
    status: supersede those for an old time or a closed appointment, and create (or
    revive) one per lead time for the current start."""
    now = now or timezone.now()
    lock_appointments([appointment.pk])
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
    patient = Patient.objects.get(pk=appointment.patient_id)
    leads = sorted(settings.lead_minutes or [], reverse=True)
    # A lead time no longer in the settings leaves its waiting request behind.
    requests.filter(status=ConfirmationRequest.Status.PENDING, lead_minutes__isnull=False).exclude(
        lead_minutes__in=leads
    ).update(status=ConfirmationRequest.Status.SUPERSEDED, skip_reason="The clinic changed its reminder times.")
    for lead, due_at, skip_reason, note in _schedule(appointment.starts_at, leads, settings, zone, patient, now):
        _upsert(appointment, lead, due_at, skip_reason, note)
    merge_requests(appointment.pk, appointment.starts_at, zone=zone, now=now)


def plan_patient_requests(patient: Patient, *, now: dt.datetime | None = None) -> None:
    """Re-plan the patient's upcoming appointments: their number or time zone changed,
    so their quiet hours may have."""
    now = now or timezone.now()
    upcoming = Appointment.objects.filter(patient=patient, starts_at__gt=now, status__in=ASKABLE_STATUSES)
    for appointment in upcoming.order_by("pk"):
        plan_confirmation_requests(appointment, now=now)


def _schedule(starts_at, leads, settings: SmsSettings, zone: ZoneInfo, patient: Patient, now: dt.datetime):
    """(lead, due_at, skip_reason, note) per lead time. Leads already past when the
    appointment is booked are due at once (and merged into one text afterwards)."""
    for lead in leads:
        due_at = max(starts_at - dt.timedelta(minutes=lead), now)
        when = send_time(due_at, window=settings, clinic_zone=zone, patient=patient)
        skip_reason = ""
        if when.at >= starts_at:
            whose = f"the patient's quiet hours ({zones_named(when.zones)})" if when.note else "quiet hours"
            skip_reason = f"Due in {whose}, and the next allowed time is after the appointment."[:200]
        yield lead, when.at, skip_reason, when.note


def _upsert(appointment: Appointment, lead: int, due_at: dt.datetime, skip_reason: str, note: str) -> None:
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
            window_note=note,
        )
    elif existing.message_id is None and existing.status != ConfirmationRequest.Status.QUEUED:
        # Reinstated, or the settings changed: the request was never texted, so it
        # may be planned again. One already texted for this time stays as it is.
        existing.due_at, existing.status, existing.skip_reason = due_at, status, skip_reason
        existing.window_note = note
        existing.save(update_fields=["due_at", "status", "skip_reason", "window_note"])
