"""Getting a text to the provider exactly once.

1. `queue_confirmation` claims a due request: in one transaction it locks the
   request, checks it may still be sent, creates the outbound message (status
   `queued`) and marks the request `queued`. A second worker, or the same job
   retried, finds it already claimed.
2. `deliver` moves one `queued` message to `sending` (a conditional update under a
   row lock: one caller wins) and commits *before* calling the provider, then
   records the provider's answer in a second transaction.

A worker killed after step 1 leaves a `queued` message; the minute tick re-defers
it and it is sent once. Killed during the provider call, it leaves `sending`: the
provider may or may not have the text, so it is never re-sent automatically but
marked failed ("outcome unknown") for staff to look at in the inbox.

Only the second step's commit must reach the disk before the provider is called.
The claim before it and the answer after it commit with `synchronous_commit` off:
if PostgreSQL itself crashed and lost them, the claim is simply made again (the
request is still pending), and a lost answer leaves `sending`, which is never
re-sent. Durability is paid for once per text, where it matters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from clinic.appointments.models import Appointment, Patient
from clinic.messaging import tokens
from clinic.messaging.backends import OutgoingSms, SmsSendError, get_backend
from clinic.messaging.models import ConfirmationRequest, SmsMessage, SmsSettings
from clinic.messaging.rendering import render_confirmation
from tenancy.models import Organization

MAX_ATTEMPTS = 5
# A `queued` message untouched this long has lost its job; `sending` this long has
# lost its worker mid-call.
QUEUED_STALE_AFTER = dt.timedelta(minutes=2)
SENDING_STALE_AFTER = dt.timedelta(minutes=10)

Step = Callable[[], AbstractContextManager]


class RetryLater(Exception):
    """The provider failed in a way that may pass; the job is retried with backoff."""


def queue_confirmation(request_id, *, now: dt.datetime | None = None) -> SmsMessage | None:
    """Claim the request and create its message; None when there is nothing to send."""
    now = now or timezone.now()
    _commit_without_waiting_for_disk()
    request = ConfirmationRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        return None
    if request.status == ConfirmationRequest.Status.QUEUED:
        return request.message  # claimed before (a retry, or another worker)
    if request.status != ConfirmationRequest.Status.PENDING:
        return None
    appointment = Appointment.objects.with_related().get(pk=request.appointment_id)
    sms_settings = SmsSettings.objects.first()
    problem = _why_not_send(request, appointment, sms_settings, now)
    if problem:
        request.status, request.skip_reason = ConfirmationRequest.Status.SKIPPED, problem
        request.save(update_fields=["status", "skip_reason"])
        return None
    token, request.token_hash = tokens.new_token()
    clinic = Organization.objects.get(pk=appointment.organization_id)
    message = SmsMessage.objects.create(
        direction=SmsMessage.Direction.OUTBOUND,
        kind=SmsMessage.Kind.CONFIRMATION,
        from_number=sms_settings.sender_number,
        to_number=appointment.patient.phone,
        body=render_confirmation(appointment, clinic, sms_settings, link=confirmation_link(token)),
        patient=appointment.patient,
        appointment=appointment,
        status=SmsMessage.Status.QUEUED,
    )
    request.status, request.message = ConfirmationRequest.Status.QUEUED, message
    request.save(update_fields=["status", "message", "token_hash"])
    return message


def _why_not_send(request, appointment: Appointment, sms_settings, now: dt.datetime) -> str:
    if sms_settings is None or not sms_settings.enabled:
        return "Texts are turned off for this clinic."
    if appointment.status != Appointment.Status.SCHEDULED:
        return f"The appointment is {appointment.get_status_display().lower()}."
    if appointment.starts_at <= now:
        return "The appointment has started."
    if appointment.starts_at != request.appointment_starts_at:
        return "The appointment moved."
    if appointment.patient.sms_consent != Patient.SmsConsent.OPTED_IN:
        return "The patient opted out of texts."
    return ""


def confirmation_link(token: str) -> str:
    return settings.SMS_LINK_BASE_URL.rstrip("/") + reverse("messaging:confirm", args=[token])


def deliver(message_id, step: Step) -> None:
    """Hand one queued message to the provider and record the answer. `step()` opens
    a tenant transaction of the job's clinic; the provider is called between two."""
    with step():
        outgoing = _claim_for_sending(message_id)
    if outgoing is None:
        return
    try:
        provider_id = get_backend().send(outgoing)
    except SmsSendError as exc:
        with step():
            retry = _record_failure(message_id, exc)
        if retry:  # raised once the failure is committed: the job is retried with backoff
            raise RetryLater(f"message {message_id}: {exc}") from exc
        return
    with step():
        _commit_without_waiting_for_disk()
        message = SmsMessage.objects.select_for_update().get(pk=message_id)
        message.provider_message_id = provider_id
        fields = ["provider_message_id"]
        if message.can_move_to(SmsMessage.Status.SENT):
            message.status, message.status_changed_at = SmsMessage.Status.SENT, timezone.now()
            fields += ["status", "status_changed_at"]
        message.save(update_fields=fields)


def _commit_without_waiting_for_disk() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO off")


def _claim_for_sending(message_id) -> OutgoingSms | None:
    message = SmsMessage.objects.select_for_update().filter(pk=message_id).first()
    if message is None or message.status != SmsMessage.Status.QUEUED:
        return None
    if message.kind == SmsMessage.Kind.CONFIRMATION and message.patient_id:
        patient = Patient.objects.get(pk=message.patient_id)
        if patient.sms_consent != Patient.SmsConsent.OPTED_IN:
            _fail(message, "opted_out", "The patient opted out before the text went out; not sent.")
            return None
    message.status, message.status_changed_at = SmsMessage.Status.SENDING, timezone.now()
    message.attempts += 1
    message.save(update_fields=["status", "status_changed_at", "attempts"])
    return OutgoingSms(
        to=message.to_number, from_=message.from_number, body=message.body, status_callback=status_callback_url()
    )


def _record_failure(message_id, exc: SmsSendError) -> bool:
    """Back to `queued` if another attempt may work (True), else failed (False)."""
    message = SmsMessage.objects.select_for_update().get(pk=message_id)
    if exc.retryable and message.attempts < MAX_ATTEMPTS:
        message.status, message.status_changed_at = SmsMessage.Status.QUEUED, timezone.now()
        message.error_code, message.error_message = exc.code[:32], str(exc)[:300]
        message.save(update_fields=["status", "status_changed_at", "error_code", "error_message"])
        return True
    _fail(message, exc.code or "failed", str(exc))
    return False


def _fail(message: SmsMessage, code: str, reason: str) -> None:
    message.status, message.status_changed_at = SmsMessage.Status.FAILED, timezone.now()
    message.error_code, message.error_message = code[:32], reason[:300]
    message.needs_attention = True
    message.save(update_fields=["status", "status_changed_at", "error_code", "error_message", "needs_attention"])


def fail_lost_sends(now: dt.datetime) -> int:
    """Messages left `sending` by a worker that died mid-call: never re-sent."""
    lost = SmsMessage.objects.select_for_update(skip_locked=True).filter(
        status=SmsMessage.Status.SENDING, status_changed_at__lt=now - SENDING_STALE_AFTER
    )
    count = 0
    for message in lost:
        _fail(message, "unknown", "The worker stopped while handing this text to the provider; not re-sent.")
        count += 1
    return count


def status_callback_url() -> str | None:
    base = settings.SMS_WEBHOOK_BASE_URL
    if not base or settings.SMS_BACKEND == "console":
        return None
    return base.rstrip("/") + reverse("messaging:twilio_status")
