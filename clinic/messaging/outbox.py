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


def queue_reply(inbound: SmsMessage, body: str) -> SmsMessage:
    """Answer an inbound text from the number it was sent to."""
    return queue_text(
        to_number=inbound.from_number,
        from_number=inbound.to_number,
        body=body,
        kind=SmsMessage.Kind.REPLY,
        patient=inbound.patient,
        appointment=inbound.appointment,
    )
