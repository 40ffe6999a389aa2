"""The outbox: each appointment change becomes an event, written with one delivery per
subscribed endpoint in the change's own transaction (the services send
`appointment_changed` inside it). A job per delivery is deferred when the transaction
commits; a change that rolls back leaves no event and sends nothing.

The payload is {"id", "type", "created_at", "data"}, where `data` is the appointment
exactly as GET /api/v1/appointments/<id>/ renders it (times in the clinic's time zone):
an integrator learns nothing from an event that the API would not tell it."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from clinic.api.models import EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent
from clinic.api.serializers.appointments import AppointmentOut
from clinic.api.serializers.common import LocalDateTimeField
from clinic.appointments import signals
from clinic.appointments.models import Appointment
from clinic.voice.models import Voicemail
from tenancy.context import current_org_id
from tenancy.models import Organization

STATUS_EVENTS = {
    Appointment.Status.CONFIRMED: EventType.APPOINTMENT_CONFIRMED,
    Appointment.Status.CANCELLED: EventType.APPOINTMENT_CANCELLED,
}


def event_type_for(change: str, status: str) -> str:
    if change == signals.BOOKED:
        return EventType.APPOINTMENT_CREATED
    if change == signals.STATUS_CHANGED:
        return STATUS_EVENTS.get(status, EventType.APPOINTMENT_UPDATED)
    return EventType.APPOINTMENT_UPDATED


def record_appointment_change(appointment: Appointment, change: str) -> WebhookEvent | None:
    """The event of this change, if any active endpoint of the clinic subscribes to it."""
    event_type = event_type_for(change, appointment.status)
    endpoints = list(
        WebhookEndpoint.objects.filter(active=True, event_types__contains=[event_type]).values_list("id", flat=True)
    )
    if not endpoints:
        return None
    return emit(event_type, lambda: _appointment_data(appointment), endpoints)


def record_voicemail_event(event_type: str, voicemail: Voicemail) -> WebhookEvent | None:
    """`voicemail.received` once the audio is stored, `voicemail.transcribed` once its
    transcript is there too; `data` is the voicemail as GET /api/v1/voicemails/<id>/
    renders it. None if no active endpoint of the clinic subscribes."""
    from clinic.api.serializers.voice import VoicemailOut

    endpoints = list(
        WebhookEndpoint.objects.filter(active=True, event_types__contains=[event_type]).values_list("id", flat=True)
    )
    if not endpoints:
        return None
    return emit(event_type, lambda: dict(VoicemailOut(voicemail).data), endpoints)


def emit(event_type: str, data, endpoint_ids) -> WebhookEvent:
    """Write the event and its deliveries; each is sent once this transaction commits.
    `data` is called in the clinic's time zone."""
    from clinic.api.webhooks import tasks

    event = WebhookEvent(type=event_type)
    event.claim_for_current_org()
    with timezone.override(_clinic_zone()):
        document = {
            "id": event.public_id,
            "type": event_type,
            "created_at": LocalDateTimeField().to_representation(event.created_at),
            "data": data(),
        }
    event.payload = json.dumps(document, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)
    event.save(force_insert=True)
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(event=event, endpoint_id=pk, next_attempt_at=event.created_at) for pk in endpoint_ids]
    )
    for delivery in deliveries:
        tasks.defer_delivery(delivery)
    return event


def _appointment_data(appointment: Appointment) -> dict:
    return dict(AppointmentOut(appointment).data)


def _clinic_zone():
    timezone_name = Organization.objects.filter(pk=current_org_id()).values_list("timezone", flat=True).first()
    return timezone_name or "UTC"
