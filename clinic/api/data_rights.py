"""The API's part of a patient's erasure (clinic.data_rights): stored API responses
that may repeat the patient's details are deleted, and integrator events about their
appointments lose the notes."""

from __future__ import annotations

import json

from django.db.models import Q

from clinic.api.models import IdempotencyRecord, WebhookEvent
from clinic.appointments.models import Appointment, Patient


def erase(patient: Patient) -> None:
    _forget_stored_api_responses(patient)
    _scrub_webhook_events(patient)


def _forget_stored_api_responses(patient: Patient) -> None:
    """Idempotency records keep an API response for replays; one may hold the
    patient's details. Those are deleted (a replay then runs the request anew)."""
    needles = [str(patient.pk), patient.phone] + ([patient.email] if patient.email else [])
    query = Q()
    for needle in needles:
        query |= Q(response_body__icontains=needle)
    IdempotencyRecord.objects.filter(query).delete()


def _scrub_webhook_events(patient: Patient) -> None:
    """Integrator events about the patient's appointments carry their notes, which
    may name the patient: those are blanked in the stored payload (deliveries still
    to come send it so; the event id stays, for receivers that de-duplicate)."""
    appointment_ids = [str(pk) for pk in Appointment.objects.filter(patient=patient).values_list("pk", flat=True)]
    if not appointment_ids:
        return
    query = Q()
    for appointment_id in appointment_ids:
        query |= Q(payload__contains=appointment_id)
    for event in WebhookEvent.objects.select_for_update().filter(query):
        document = json.loads(event.payload)
        data = document.get("data") or {}
        if data.get("notes"):
            data["notes"] = ""
            event.payload = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
            event.save(update_fields=["payload"])
