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
The worker's claims before it and the answer after it commit with
`synchronous_commit` off: if PostgreSQL itself crashed and lost them, the claim is
simply made again (the request is still pending), and a lost answer leaves
`sending`, which is never re-sent. Durability is paid for once per text, where it matters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from clinic.appointments.models import Appointment, Patient
from clinic.audit.trail import Action, Actor, ActorInfo, record
from clinic.lifecycle.selectors import current_clinic_is_open
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
    """Claim one request and create its message; None when there is nothing to send."""
    messages = queue_confirmations([request_id], now=now)
    return messages[0] if messages else None


def queue_confirmations(request_ids, *, now: dt.datetime | None = None) -> list[SmsMessage]:
    """Claim the requests that may still be sent and create their queued messages, in
    the caller's transaction (a handful of queries, however many requests). Requests
    claimed before (a retry, a racing worker) return their message; the others that
    can no longer be sent are marked skipped with the reason."""
    now = now or timezone.now()
    requests = list(
        ConfirmationRequest.objects.select_for_update(of=("self",))
        .filter(pk__in=list(request_ids))
        .select_related("appointment__patient")
        .order_by("due_at")
    )
    already = [request.message_id for request in requests if request.status == ConfirmationRequest.Status.QUEUED]
    pending = [request for request in requests if request.status == ConfirmationRequest.Status.PENDING]
    if not pending:
        return list(SmsMessage.objects.filter(pk__in=already))
    sms_settings = SmsSettings.objects.first()
    clinic = Organization.objects.get(pk=pending[0].organization_id)
    new_messages = []
    for request in pending:
        problem = _why_not_send(request, request.appointment, sms_settings, now)
        if problem:
            request.status, request.skip_reason = ConfirmationRequest.Status.SKIPPED, problem
            continue
        token, request.token_hash = tokens.new_token()
        request.message = _confirmation_message(request.appointment, clinic, sms_settings, token)
        request.status = ConfirmationRequest.Status.QUEUED
        new_messages.append(request.message)
    SmsMessage.objects.bulk_create(new_messages)
    ConfirmationRequest.objects.bulk_update(pending, ["status", "skip_reason", "message", "token_hash"])
    return [*SmsMessage.objects.filter(pk__in=already), *new_messages]


def _confirmation_message(appointment: Appointment, clinic, sms_settings: SmsSettings, token: str) -> SmsMessage:
    return SmsMessage(
        direction=SmsMessage.Direction.OUTBOUND,
        kind=SmsMessage.Kind.CONFIRMATION,
        from_number=sms_settings.sender_number,
        to_number=appointment.patient.phone,
        body=render_confirmation(appointment, clinic, sms_settings, link=confirmation_link(token)),
        patient=appointment.patient,
        appointment=appointment,
        status=SmsMessage.Status.QUEUED,
    )


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


WORKER = ActorInfo(Actor.JOB, label="SMS send job")


def deliver(message_id, step: Step) -> None:
    """Hand one queued message to the provider and record the answer. `step()` opens
    a tenant transaction of the job's clinic; the provider is called between two."""
    with step():
        claimed = None if _postponed(message_id) else _claim_for_sending(message_id)
    if claimed is None:
        return
    outgoing, patient_id = claimed
    try:
        provider_id = get_backend().send(outgoing)
    except SmsSendError as exc:
        with step():
            retry = _record_failure(message_id, exc)
        if retry:  # raised once the failure is committed: the job is retried with backoff
            raise RetryLater(f"message {message_id}: {exc}") from exc
        return
    with step():
        commit_without_waiting_for_disk()
        _record_sent(message_id, provider_id, patient_id)


def _postponed(message_id) -> bool:
    """A suspended clinic's texts stay queued (reactivation sends them), but for the
    automatic answers to a patient's own text (STOP, START, HELP): those still go out."""
    if current_clinic_is_open():
        return False
    return not SmsMessage.objects.filter(pk=message_id, kind=SmsMessage.Kind.REPLY).exists()


def _record_sent(message_id, provider_id: str, patient_id) -> None:
    # A delivery report may not overtake this: it finds the message by the provider's
    # id, which only this update stores. So the message is still `sending` here.
    sent = SmsMessage.objects.filter(pk=message_id, status=SmsMessage.Status.SENDING).update(
        provider_message_id=provider_id, status=SmsMessage.Status.SENT, status_changed_at=timezone.now()
    )
    if not sent:
        SmsMessage.objects.filter(pk=message_id).update(provider_message_id=provider_id)
    record(
        Action.SMS_SENT, object_type="messaging.SmsMessage", object_id=message_id, patient_id=patient_id, actor=WORKER
    )


def commit_without_waiting_for_disk() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO off")


# One statement: a queued message becomes `sending` only if it is still queued and,
# for a confirmation request, its patient still takes texts. RLS scopes it to the
# job's clinic like any other query.
CLAIM_SQL = """
UPDATE messaging_smsmessage m
   SET status = 'sending', attempts = m.attempts + 1, status_changed_at = now()
 WHERE m.id = %s AND m.status = 'queued'
   AND NOT (m.kind = 'confirmation' AND EXISTS (
        SELECT 1 FROM appointments_patient p
         WHERE p.organization_id = m.organization_id AND p.id = m.patient_id AND p.sms_consent <> 'opted_in'))
RETURNING m.to_number, m.from_number, m.body, m.patient_id
"""


def _claim_for_sending(message_id) -> tuple[OutgoingSms, object] | None:
    """The text to hand over and its patient's id, once claimed; None if not ours."""
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, [message_id])
        claimed = cursor.fetchone()
    if claimed is None:
        _fail_if_opted_out(message_id)
        return None
    to_number, from_number, body, patient_id = claimed
    return OutgoingSms(to=to_number, from_=from_number, body=body, status_callback=status_callback_url()), patient_id


def _fail_if_opted_out(message_id) -> None:
    """A queued confirmation left unclaimed because its patient opted out meanwhile."""
    message = SmsMessage.objects.select_for_update().filter(pk=message_id, status=SmsMessage.Status.QUEUED).first()
    if message is not None:
        _fail(message, "opted_out", "The patient opted out before the text went out; not sent.")


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
