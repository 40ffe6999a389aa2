"""Texts from patients and the provider's delivery reports, once the webhook has
checked the signature and found the clinic by the number the text was sent to.
Everything here runs in that clinic's tenant context: the sender's phone is
matched only among its patients, and a reply only ever touches its appointments."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.appointments.models import Appointment, AppointmentStatusChange, Patient
from clinic.appointments.services import appointment_set_status
from clinic.audit.trail import Action, Actor, ActorInfo, acting_as, record
from clinic.messaging import rendering
from clinic.messaging.compliance_models import OptOutMethod
from clinic.messaging.models import ConfirmationRequest, SmsMessage, SmsSettings
from clinic.messaging.outbox import queue_reply
from clinic.messaging.replies import Intent, keyword_of, parse_reply
from tenancy.models import Organization

logger = logging.getLogger(__name__)

RESPONSES = {Intent.CONFIRM: Appointment.Status.CONFIRMED, Intent.CANCEL: Appointment.Status.CANCELLED}
PROVIDER_STATUSES = {
    "queued": SmsMessage.Status.SENDING,
    "accepted": SmsMessage.Status.SENDING,
    "sending": SmsMessage.Status.SENDING,
    "sent": SmsMessage.Status.SENT,
    "delivered": SmsMessage.Status.DELIVERED,
    "undelivered": SmsMessage.Status.UNDELIVERED,
    "failed": SmsMessage.Status.FAILED,
}


SMS_WEBHOOK = ActorInfo(Actor.SMS_WEBHOOK, label="SMS provider")
NOT_ACTED_ON = "Received while the clinic was suspended: not acted on. Call the patient if it needs an answer."


@transaction.atomic
def receive_text(
    *, provider_message_id: str, from_number: str, to_number: str, body: str, act: bool = True
) -> SmsMessage | None:
    """Log an inbound text and act on it. A re-delivered webhook (same provider id)
    changes nothing and returns None. With `act=False` (the clinic's status refuses
    what the text asks: clinic.core.status) the text only goes to the inbox."""
    if SmsMessage.objects.filter(provider_message_id=provider_message_id).exists():
        return None
    # A family phone: the text is one patient's only when one patient has the number.
    candidates = list(Patient.objects.filter(phone=from_number)[:2])
    patient = candidates[0] if len(candidates) == 1 else None
    try:
        with transaction.atomic():
            message = SmsMessage.objects.create(
                direction=SmsMessage.Direction.INBOUND,
                kind=SmsMessage.Kind.INBOUND,
                from_number=from_number,
                to_number=to_number,
                body=body[:1600],
                patient=patient,
                status=SmsMessage.Status.RECEIVED,
                provider_message_id=provider_message_id,
            )
    except IntegrityError:
        return None  # the same webhook, delivered twice at once
    with acting_as(SMS_WEBHOOK):  # a STOP or START changes the patient's consent
        record(Action.SMS_RECEIVED, obj=message)
        if act:
            _act_on(message, known=bool(candidates))
        else:
            _to_inbox(message, NOT_ACTED_ON)
    return message


def reading(from_number: str, body: str, now: dt.datetime | None = None) -> tuple[Intent, list[ConfirmationRequest]]:
    """What the text means, and the open requests of the sender's number (all its
    patients: a family phone): CANCEL and YES answer an appointment while one awaits."""
    open_requests = list(open_requests_for(from_number, now or timezone.now()))
    return parse_reply(body, awaiting_answer=bool(open_requests)), open_requests


def _act_on(message: SmsMessage, *, known: bool) -> None:
    """`known`: whether any patient of the clinic has the sender's number (one, or
    several sharing it; a reply then applies only if it can mean one appointment)."""
    intent, open_requests = reading(message.from_number, message.body)
    clinic = Organization.objects.get(pk=message.organization_id)
    sms_settings = SmsSettings.objects.first() or SmsSettings(organization_id=clinic.id)
    if intent is Intent.OPT_OUT:
        _opt_out(message, clinic)
        return
    if intent is Intent.OPT_IN:
        _opt_in(message, clinic)
        return
    if intent is Intent.HELP:
        queue_reply(message, rendering.help_text(clinic, sms_settings), keyword_answer=True)
        return
    if not known:
        _to_inbox(message, "The number is not a patient of this clinic.")
        return
    if intent in RESPONSES:
        _answer(message, open_requests, intent, clinic, sms_settings)
        return
    _to_inbox(message, "")


def _opt_out(message: SmsMessage, clinic: Organization) -> None:
    """The number leaves the sender's list, whoever it belongs to (a patient registered
    with it later is not texted), and each of its patients withdraws consent."""
    from clinic.messaging.services import sms_number_opt_out

    added, withdrawn = sms_number_opt_out(
        phone=message.from_number,
        method=OptOutMethod.KEYWORD,
        keyword=keyword_of(message.body),
        sender_number=message.to_number,
    )
    if added or withdrawn:  # one confirmation, then silence
        queue_reply(message, rendering.opted_out_text(clinic), keyword_answer=True)


def _opt_in(message: SmsMessage, clinic: Organization) -> None:
    """START and UNSTOP always confirm; a YES (no appointment awaiting) only when it
    lifted something, else it goes to the inbox as any other stray reply."""
    from clinic.messaging.services import sms_number_opt_in

    word = keyword_of(message.body)
    lifted, given = sms_number_opt_in(
        phone=message.from_number, method=OptOutMethod.KEYWORD, keyword=word, sender_number=message.to_number
    )
    if word == "YES" and not (lifted or given):
        _to_inbox(message, "No open confirmation request for this number.")
        return
    queue_reply(message, rendering.opted_in_text(clinic), keyword_answer=True)


def _answer(message: SmsMessage, open_requests: list, intent: Intent, clinic, sms_settings) -> None:
    appointments = {request.appointment_id for request in open_requests}
    if not appointments:
        _to_inbox(message, "No open confirmation request for this number.")
        return
    if len(appointments) > 1:
        # Two appointments waiting for an answer: guessing could cancel the wrong one.
        _to_inbox(message, f"{len(appointments)} appointments are waiting for an answer; which one is unclear.")
        queue_reply(message, rendering.ambiguous_text(clinic, sms_settings, len(appointments)))
        return
    request = open_requests[0]
    appointment = respond(request, RESPONSES[intent], via=AppointmentStatusChange.Via.SMS)
    # On a family phone the answer belongs to the patient whose appointment it was.
    message.appointment, message.patient_id = appointment, appointment.patient_id
    message.save(update_fields=["appointment", "patient"])
    queue_reply(message, rendering.answered_text(clinic, appointment, RESPONSES[intent]))


def open_requests_for(phone: str, now: dt.datetime):
    """Requests texted to the number (any of its patients), unanswered and unexpired,
    whose appointment is still ahead and still as texted."""
    return open_requests_to_numbers([phone], now)


def open_requests_to_numbers(phones, now: dt.datetime):
    """`open_requests_for` for several numbers in one query."""
    return (
        ConfirmationRequest.objects.filter(
            appointment__patient__phone__in=phones,
            status=ConfirmationRequest.Status.QUEUED,
            response="",
            expires_at__gt=now,
            appointment__starts_at__gt=now,
            appointment__status=Appointment.Status.SCHEDULED,
        )
        .select_related("appointment")
        .order_by("-due_at")
    )


def respond(request: ConfirmationRequest, status: str, *, via: str) -> Appointment:
    """Confirm or cancel the request's appointment through the schedule's services,
    and close every open request of that appointment."""
    appointment = Appointment.objects.get(pk=request.appointment_id)
    appointment = appointment_set_status(appointment=appointment, status=status, changed_by=None, via=via)
    # The texted requests are answered; pending ones were withdrawn by the status change.
    ConfirmationRequest.objects.filter(
        appointment=appointment, response="", status=ConfirmationRequest.Status.QUEUED
    ).update(response=status, responded_at=timezone.now(), responded_via=via)
    return appointment


@transaction.atomic
def respond_by_link(*, request: ConfirmationRequest, confirm: bool) -> Appointment:
    """The patient's answer on the confirmation page (the view checked the token)."""
    status = Appointment.Status.CONFIRMED if confirm else Appointment.Status.CANCELLED
    return respond(request, status, via=AppointmentStatusChange.Via.LINK)


def _to_inbox(message: SmsMessage, note: str) -> None:
    """Flag the text for staff, with why; a text from a number several patients share
    (and so stored with none of them) names them, for staff to know whom to call."""
    if message.patient_id is None:
        names = [str(p) for p in Patient.objects.filter(phone=message.from_number).order_by("last_name", "first_name")]
        if len(names) > 1:
            shared = f"Sent from a number shared by {', '.join(names[:-1])} and {names[-1]}."
            note = f"{shared} {note}".strip()
    message.needs_attention = True
    message.error_message = note[:300]
    message.save(update_fields=["needs_attention", "error_message"])


@transaction.atomic
def record_status(*, provider_message_id: str, status: str, error_code: str = "") -> bool:
    """Apply a delivery report. Unknown ids and statuses change nothing; a report
    never moves a message backwards (they can arrive out of order)."""
    new_status = PROVIDER_STATUSES.get(status.lower())
    message = SmsMessage.objects.select_for_update().filter(provider_message_id=provider_message_id).first()
    if message is None or new_status is None:
        return False
    if not message.can_move_to(new_status):
        return True
    message.status, message.status_changed_at = new_status, timezone.now()
    fields = ["status", "status_changed_at"]
    if new_status in (SmsMessage.Status.FAILED, SmsMessage.Status.UNDELIVERED):
        message.error_code, message.needs_attention = error_code[:32], True
        fields += ["error_code", "needs_attention"]
    message.save(update_fields=fields)
    return True
