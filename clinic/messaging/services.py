"""Writes to a clinic's messaging: its settings, texts sent by hand, the inbox, and
answers given on the confirmation page. Keyword-only, one transaction each, inside
the clinic's tenant context, like the schedule's services."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.appointments.errors import violated_constraint
from clinic.appointments.models import Appointment, AppointmentStatusChange, Patient
from clinic.messaging import inbound
from clinic.messaging.models import (
    DEFAULT_LEAD_MINUTES,
    SENDER_CONSTRAINT,
    ConfirmationRequest,
    SmsMessage,
    SmsSettings,
)
from clinic.messaging.outbox import queue_text
from clinic.messaging.quiet_hours import send_time
from clinic.messaging.scheduling import plan_confirmation_requests
from tenancy.models import Organization

if TYPE_CHECKING:
    from clinic.accounts.models import User

SETTINGS_FIELDS = frozenset(
    {
        "enabled",
        "sender_number",
        "clinic_phone",
        "lead_minutes",
        "send_from",
        "send_until",
        "template",
        "clinical_details",
    }
)
# How far ahead a settings change re-plans requests (the longest lead time allowed).
REPLAN_HORIZON = dt.timedelta(days=15)


def sms_settings_get() -> SmsSettings:
    """The clinic's settings, or unsaved defaults (texts off) if it has none yet."""
    return SmsSettings.objects.first() or SmsSettings(lead_minutes=list(DEFAULT_LEAD_MINUTES))


@transaction.atomic
def sms_settings_save(**fields) -> SmsSettings:
    """Change the clinic's SMS settings and re-plan the requests of upcoming
    appointments (turning texts on plans them; off supersedes them)."""
    unknown = set(fields) - SETTINGS_FIELDS
    if unknown:
        raise TypeError(f"sms_settings_save() cannot change {', '.join(sorted(unknown))}.")
    current = SmsSettings.objects.select_for_update().first() or sms_settings_get()
    for name, value in fields.items():
        setattr(current, name, value)
    current.claim_for_current_org()
    current.full_clean()
    try:
        with transaction.atomic():
            current.save()
    except IntegrityError as exc:
        if violated_constraint(exc) != SENDER_CONSTRAINT:
            raise
        raise ValidationError({"sender_number": "Another clinic already uses this sender number."}) from exc
    now = timezone.now()
    upcoming = Appointment.objects.filter(starts_at__gt=now, starts_at__lt=now + REPLAN_HORIZON)
    for appointment in upcoming.filter(status=Appointment.Status.SCHEDULED):
        plan_confirmation_requests(appointment, now=now)
    if not current.enabled:
        ConfirmationRequest.objects.filter(status=ConfirmationRequest.Status.PENDING).update(
            status=ConfirmationRequest.Status.SUPERSEDED, skip_reason="Texts were turned off."
        )
    return current


@transaction.atomic
def send_confirmation_now(*, appointment: Appointment, requested_by: User | None) -> ConfirmationRequest:
    """A confirmation request sent by hand (besides the scheduled ones): claimed here
    and texted by the worker as soon as this transaction commits, or, when it is
    night for the patient, planned for the moment their sending window opens (the
    returned request is then pending, its `window_note` says why)."""
    from clinic.messaging import delivery, tasks

    appointment = Appointment.objects.select_related("patient").get(pk=appointment.pk)
    problem = _why_not_text(appointment)
    if problem:
        raise ValidationError(problem, code="cannot_text")
    now = timezone.now()
    clinic = Organization.objects.get(pk=appointment.organization_id)
    when = send_time(now, window=SmsSettings.objects.get(), clinic_zone=clinic.zone, patient=appointment.patient)
    if when.at >= appointment.starts_at:
        raise ValidationError(
            f"It is quiet hours for {appointment.patient.first_name} until after the appointment. {when.note}".strip(),
            code="quiet_hours",
        )
    request = ConfirmationRequest.objects.create(
        appointment=appointment,
        lead_minutes=None,
        appointment_starts_at=appointment.starts_at,
        due_at=when.at,
        expires_at=appointment.starts_at,
        window_note=when.note,
    )
    if when.at > now:
        return request  # the worker's minute tick claims it once due
    message = delivery.queue_confirmation(request.id, now=now)
    if message is None:
        request.refresh_from_db()
        raise ValidationError(request.skip_reason or "This appointment cannot be texted now.", code="cannot_text")
    tasks.defer_delivery(message)
    request.refresh_from_db()
    return request


def _why_not_text(appointment: Appointment) -> str:
    sms_settings = SmsSettings.objects.first()
    if sms_settings is None or not sms_settings.enabled:
        return "Texts are turned off for this clinic (see SMS settings)."
    if appointment.status != Appointment.Status.SCHEDULED:
        return f"Only a scheduled appointment can be confirmed; this one is {appointment.get_status_display().lower()}."
    if appointment.starts_at <= timezone.now():
        return "The appointment has already started."
    if appointment.patient.sms_consent != Patient.SmsConsent.OPTED_IN:
        return f"{appointment.patient.first_name} opted out of texts."
    return ""


@transaction.atomic
def send_text_by_hand(*, patient: Patient, body: str, sent_by: User, appointment: Appointment | None = None):
    """A text written by staff (an answer to an inbox message, say)."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write a message."})
    if len(body) > 1000:
        raise ValidationError({"body": "Keep a text under 1,000 characters."})
    sms_settings = SmsSettings.objects.first()
    if sms_settings is None or not sms_settings.sender_number:
        raise ValidationError("The clinic has no sender number (see SMS settings).", code="no_sender")
    if patient.sms_consent != Patient.SmsConsent.OPTED_IN:
        raise ValidationError(f"{patient.first_name} opted out of texts.", code="opted_out")
    return queue_text(
        to_number=patient.phone,
        from_number=sms_settings.sender_number,
        body=body,
        kind=SmsMessage.Kind.MANUAL,
        patient=patient,
        appointment=appointment,
        sent_by=sent_by,
    )


@transaction.atomic
def inbox_mark_handled(*, message: SmsMessage, handled_by: User) -> SmsMessage:
    message = SmsMessage.objects.select_for_update().get(pk=message.pk)
    if message.handled_at is None:
        message.handled_at, message.handled_by = timezone.now(), handled_by
        message.save(update_fields=["handled_at", "handled_by"])
    return message


@transaction.atomic
def respond_by_link(*, request: ConfirmationRequest, confirm: bool) -> Appointment:
    """The patient's answer on the confirmation page (the view checked the token)."""
    status = Appointment.Status.CONFIRMED if confirm else Appointment.Status.CANCELLED
    return inbound.respond(request, status, via=AppointmentStatusChange.Via.LINK)
