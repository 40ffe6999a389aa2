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
provider may or may not have the text. Once `sending` has lasted longer than any
provider call can (SMS_LOST_SEND_AFTER_SECONDS against SMS_PROVIDER_TIMEOUT_SECONDS),
the tick re-defers it and the job asks the provider's own record (`find_sent`): a
text it has is recorded as sent, one it lacks is queued again and sent. Where the
provider keeps no record to ask, the message is marked failed ("outcome unknown")
for staff to look at in the inbox, never sent twice. A retry after a failed call
asks the same question first, since a timeout may come after the provider took it.

Only the second step's commit must reach the disk before the provider is called.
The worker's claims before it and the answer after it commit with
`synchronous_commit` off: if PostgreSQL itself crashed and lost them, the claim is
simply made again (the request is still pending), and a lost answer leaves
`sending`, settled against the provider's record like a killed worker's. Durability
is paid for once per text, where it matters."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from clinic.appointments.models import Appointment, Patient
from clinic.audit.trail import Action, Actor, ActorInfo, record
from clinic.core import status
from clinic.core.current_clinic import current_clinic
from clinic.messaging import merging, optouts, tokens
from clinic.messaging.backends import OutgoingSms, SmsSendError, get_backend
from clinic.messaging.models import ConfirmationRequest, SmsMessage, SmsSettings
from clinic.messaging.quiet_hours import send_time
from clinic.messaging.rendering import render_confirmation
from tenancy.context import current_org_id
from tenancy.jobs import commit_without_waiting_for_disk
from tenancy.models import Organization

MAX_ATTEMPTS = 5
# A `queued` message untouched this long has lost its job.
QUEUED_STALE_AFTER = dt.timedelta(minutes=2)
# A lost send the provider cannot be asked about this long after it was queued is
# given up as "outcome unknown".
LOST_SEND_GIVE_UP_AFTER = dt.timedelta(days=1)


def sending_stale_after() -> dt.timedelta:
    """How long `sending` lasts before the worker behind it is taken to be gone."""
    return dt.timedelta(seconds=settings.SMS_LOST_SEND_AFTER_SECONDS)


Step = Callable[[], AbstractContextManager]
logger = logging.getLogger(__name__)


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
    request_ids = list(request_ids)
    _merge_due(request_ids, now)
    requests = list(
        ConfirmationRequest.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(pk__in=request_ids)
        .select_related("appointment__patient")
        .order_by("due_at")
    )
    already = [request.message_id for request in requests if request.status == ConfirmationRequest.Status.QUEUED]
    pending = [request for request in requests if request.status == ConfirmationRequest.Status.PENDING]
    if not pending:
        return list(SmsMessage.objects.filter(pk__in=already))
    sms_settings = SmsSettings.objects.first()
    clinic = Organization.objects.get(pk=pending[0].organization_id)
    sender = sms_settings.sender_number if sms_settings else ""
    opted_out = optouts.opted_out_among((request.appointment.patient.phone for request in pending), sender)
    new_messages = []
    for request in pending:
        problem = _why_not_send(request, request.appointment, sms_settings, now)
        if not problem and request.appointment.patient.phone in opted_out:
            problem = "The number opted out of texts from the clinic's sender number."
        if problem:
            request.status, request.skip_reason = ConfirmationRequest.Status.SKIPPED, problem
            continue
        if _held_by_quiet_hours(request, clinic, sms_settings, now):
            continue
        token, request.token_hash = tokens.new_token()
        request.message = _confirmation_message(request.appointment, clinic, sms_settings, token)
        request.status = ConfirmationRequest.Status.QUEUED
        new_messages.append(request.message)
    SmsMessage.objects.bulk_create(new_messages)
    ConfirmationRequest.objects.bulk_update(
        pending, ["status", "skip_reason", "message", "token_hash", "due_at", "window_note"]
    )
    return [*SmsMessage.objects.filter(pk__in=already), *new_messages]


def _merge_due(request_ids: list, now: dt.datetime) -> None:
    """Lock the requests' appointments and merge what goes together (merging.py): of
    an appointment's requests due now only one is texted, and none that a text
    already sent satisfies. A racing claim waits for the lock, then finds them merged."""
    appointments = dict(
        ConfirmationRequest.objects.filter(pk__in=request_ids)
        .filter(appointment_starts_at=F("appointment__starts_at"))
        .values_list("appointment_id", "appointment_starts_at")
        .distinct()
    )
    if not appointments:
        return
    merging.lock_appointments(appointments)
    zone = Organization.objects.get(pk=current_org_id()).zone
    for appointment_id, starts_at in appointments.items():
        merging.merge_requests(appointment_id, starts_at, zone=zone, now=now)


def _held_by_quiet_hours(request: ConfirmationRequest, clinic, sms_settings: SmsSettings, now: dt.datetime) -> bool:
    """Whether the recipient's window is shut now (the request was planned before the
    patient's zone or number, or the window, changed): it then waits for the window
    to open, or is skipped when that is after the appointment. The same decision as
    planning's (quiet_hours.send_time), asked again at the last moment."""
    when = send_time(now, window=sms_settings, clinic_zone=clinic.zone, patient=request.appointment.patient)
    if when.at <= now:
        return False
    request.due_at, request.window_note = when.at, when.note
    if when.at >= request.appointment.starts_at:
        request.status = ConfirmationRequest.Status.SKIPPED
        request.skip_reason = "Due in quiet hours, and the next allowed time is after the appointment."
    return True


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
        if _postponed(message_id):
            return
        lost = _claim_lost_send(message_id)
    if lost is not None and not _settle_lost_send(message_id, lost, step):
        return
    with step():
        claimed = _claim_for_sending(message_id)
    if claimed is None:
        return
    backend = get_backend()
    try:
        provider_id = None
        if claimed.attempts > 1 and lost is None:
            provider_id = _sent_before(backend, claimed, step)
        provider_id = provider_id or backend.send(claimed.sms)
    except SmsSendError as exc:
        with step():
            retry = _record_failure(message_id, exc)
        if retry:  # raised once the failure is committed: the job is retried with backoff
            raise RetryLater(f"message {message_id}: {exc}") from exc
        return
    with step():
        commit_without_waiting_for_disk()
        _record_sent(message_id, provider_id, claimed.patient_id)


def _sent_before(backend, claimed: Claim, step: Step) -> str | None:
    """The provider's id of a text it took on an earlier attempt of this message and
    we never heard of; None if it has none (or keeps no record to ask)."""
    unheard = _unheard_sends(backend, claimed, step)
    return unheard[-1] if unheard else None  # the oldest: the first attempt that went


def _unheard_sends(backend, claimed: Claim, step: Step) -> list[str] | None:
    """The provider's ids of the texts like this one it took since the message was
    queued, less those another message of ours holds; None: it keeps no record."""
    found = backend.find_sent(claimed.sms, since=claimed.created_at)
    if not found:
        return found
    with step():
        taken = SmsMessage.objects.filter(provider_message_id__in=found).values_list("provider_message_id", flat=True)
        taken = set(taken)
    return [provider_id for provider_id in found if provider_id not in taken]


LOST_SQL = """
UPDATE messaging_smsmessage SET status_changed_at = now()
 WHERE id = %s AND status = 'sending' AND status_changed_at < now() - make_interval(secs => %s)
RETURNING to_number, from_number, body, patient_id, created_at, attempts
"""


def _claim_lost_send(message_id) -> Claim | None:
    """A message left `sending` by a worker that died mid-call, taken over (its clock
    restarted, so no second job settles it at once); None if it is not one."""
    with connection.cursor() as cursor:
        cursor.execute(LOST_SQL, [message_id, sending_stale_after().total_seconds()])
        row = cursor.fetchone()
    return None if row is None else Claim.from_row(row)


def _settle_lost_send(message_id, lost: Claim, step: Step) -> bool:
    """Ask the provider whether the lost send reached it. Recorded as sent if so;
    queued again if not (True: go on and send it); failed as "outcome unknown" if
    the provider keeps no record; left `sending` for the next tick if the provider
    cannot be asked now."""
    try:
        unheard = _unheard_sends(get_backend(), lost, step)
    except SmsSendError as exc:
        with step():
            if timezone.now() - lost.created_at > LOST_SEND_GIVE_UP_AFTER:
                _fail_unknown(message_id)
        logger.warning("message %s: the provider could not say whether a lost send went out: %s", message_id, exc)
        return False
    with step():
        if unheard is None:
            _fail_unknown(message_id)
        elif unheard:
            _record_sent(message_id, unheard[-1], lost.patient_id)
        else:
            SmsMessage.objects.filter(pk=message_id, status=SmsMessage.Status.SENDING).update(
                status=SmsMessage.Status.QUEUED, status_changed_at=timezone.now()
            )
    return unheard == []


def _postponed(message_id) -> bool:
    """Whether the clinic's status holds this text back, by its kind
    (clinic.core.status, OUTBOUND_SMS): a suspended clinic's texts stay queued
    (reactivation sends them), but for the automatic answers to a patient's own
    text (STOP, START, HELP), which still go out."""
    clinic = current_clinic()
    if clinic is None:
        return True
    kind = SmsMessage.objects.filter(pk=message_id).values_list("kind", flat=True).first() or ""
    return not status.allows(clinic, status.Surface.OUTBOUND_SMS, kind)


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


# One statement: a queued message becomes `sending` only if it is still queued and,
# unless it is an automatic reply, its patient still takes texts and its number is not
# on the opt-out list for its sender number (optouts.py). Every such
# text passes here, whatever queued it, so none can skip the list. Automatic replies
# are decided when queued (outbox.queue_reply): the answer to a STOP must reach the
# number that just opted out. RLS scopes it to the job's clinic like any other query.
CLAIM_SQL = (
    """
UPDATE messaging_smsmessage m
   SET status = 'sending', attempts = m.attempts + 1, status_changed_at = now()
 WHERE m.id = %s AND m.status = 'queued'
   AND NOT (m.kind <> 'reply' AND (EXISTS (
        SELECT 1 FROM appointments_patient p
         WHERE p.organization_id = m.organization_id AND p.id = m.patient_id AND p.sms_consent <> 'opted_in')
       OR """
    + optouts.NUMBER_OPTED_OUT_SQL.strip()
    + """))
RETURNING m.to_number, m.from_number, m.body, m.patient_id, m.created_at, m.attempts
"""
)


@dataclass(frozen=True)
class Claim:
    """A message this job now holds in `sending`: the text and what settles it."""

    sms: OutgoingSms
    patient_id: object
    created_at: dt.datetime
    attempts: int

    @classmethod
    def from_row(cls, row) -> Claim:
        to_number, from_number, body, patient_id, created_at, attempts = row
        sms = OutgoingSms(to=to_number, from_=from_number, body=body, status_callback=status_callback_url())
        return cls(sms=sms, patient_id=patient_id, created_at=created_at, attempts=attempts)


def _claim_for_sending(message_id) -> Claim | None:
    """The text to hand over, once claimed; None if not ours to send."""
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, [message_id])
        claimed = cursor.fetchone()
    if claimed is None:
        _fail_if_opted_out(message_id)
        return None
    return Claim.from_row(claimed)


def _fail_if_opted_out(message_id) -> None:
    """A queued text left unclaimed because its patient or number opted out meanwhile."""
    message = SmsMessage.objects.select_for_update().filter(pk=message_id, status=SmsMessage.Status.QUEUED).first()
    if message is not None:
        _fail(message, "opted_out", "The patient or their number opted out before the text went out; not sent.")


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


def _fail_unknown(message_id) -> None:
    message = SmsMessage.objects.select_for_update().filter(pk=message_id, status=SmsMessage.Status.SENDING).first()
    if message is not None:
        reason = "The worker stopped while handing this text over; the provider keeps no record to ask. Not re-sent."
        _fail(message, "unknown", reason)


def status_callback_url() -> str | None:
    base = settings.SMS_WEBHOOK_BASE_URL
    if not base or settings.SMS_BACKEND == "console":
        return None
    return base.rstrip("/") + reverse("messaging:twilio_status")
