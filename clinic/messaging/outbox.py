"""Outbound texts other than confirmation requests: automatic replies and texts
written by staff. Each is logged as `queued` in the caller's transaction and
delivered by a job deferred when it commits."""

from __future__ import annotations

from clinic.messaging.models import SmsMessage


def queue_text(*, to_number: str, from_number: str, body: str, kind: str, patient=None, appointment=None, sent_by=None):
    from clinic.messaging import tasks

    message = SmsMessage.objects.create(
        direction=SmsMessage.Direction.OUTBOUND,
        kind=kind,
        from_number=from_number,
        to_number=to_number,
        body=body,
        patient=patient,
        appointment=appointment,
        sent_by=sent_by,
        status=SmsMessage.Status.QUEUED,
    )
    tasks.defer_delivery(message)
    return message


def queue_reply(inbound: SmsMessage, body: str, *, keyword_answer: bool = False) -> SmsMessage | None:
    """Answer an inbound text from the number it was sent to. The answer to STOP,
    START or HELP (`keyword_answer`) goes out whatever the opt-out list says, as
    carriers expect; any other reply only while the number and its patient may be
    texted (None: not queued). The worker does not check replies again (delivery.py)."""
    from clinic.appointments.models import Patient
    from clinic.messaging import optouts

    if not keyword_answer:
        patient = inbound.patient
        if patient is not None and patient.sms_consent != Patient.SmsConsent.OPTED_IN:
            return None
        # A number several patients share (the text is none of theirs): answered
        # while one of them still takes texts.
        sharing = Patient.objects.filter(phone=inbound.from_number)
        opted_in = sharing.filter(sms_consent=Patient.SmsConsent.OPTED_IN)
        if patient is None and sharing.exists() and not opted_in.exists():
            return None
        if optouts.blocking_opt_out(inbound.from_number, inbound.to_number) is not None:
            return None
    return queue_text(
        to_number=inbound.from_number,
        from_number=inbound.to_number,
        body=body,
        kind=SmsMessage.Kind.REPLY,
        patient=inbound.patient,
        appointment=inbound.appointment,
    )
