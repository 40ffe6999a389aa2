"""Messaging's part of a patient's export and erasure (clinic.data_rights): their
texts, confirmation requests, consent records and their number's opt-out history;
an erasure blanks their texts' bodies and numbers."""

from __future__ import annotations

from django.db.models import Q

from clinic.appointments.models import Patient
from clinic.core.plain_data import fields_of
from clinic.messaging.consent import consent_records_of
from clinic.messaging.models import ConfirmationRequest, SmsMessage
from clinic.messaging.optouts import number_history

MESSAGE_FIELDS = ("id", "direction", "kind", "from_number", "to_number", "body", "status", "created_at")
CONSENT_RECORD_FIELDS = ("at", "consented", "source", "wording", "note", "actor_type", "actor_label")
# The number's opt-outs and opt-ins, any sender number of the clinic's (a family phone's are shared).
OPT_OUT_FIELDS = ("at", "opted_out", "sender_number", "method", "keyword", "reason", "actor_type", "actor_label")


def export(patient: Patient) -> dict:
    requests = ConfirmationRequest.objects.filter(appointment__patient=patient).order_by("created_at")
    return {
        "messages": [fields_of(m, MESSAGE_FIELDS) for m in _messages_of(patient).order_by("created_at")],
        "confirmation_requests": [
            {"appointment": r.appointment_id, "status": r.status, "response": r.response, "at": r.responded_at}
            for r in requests
        ],
        "consent_records": [fields_of(r, CONSENT_RECORD_FIELDS) for r in consent_records_of(patient)],
        "number_opt_out_history": [fields_of(e, OPT_OUT_FIELDS) for e in number_history(patient.phone)],
    }


def erase(patient: Patient) -> None:
    SmsMessage.objects.filter(_messages_filter(patient, patient.phone)).update(body="", from_number="", to_number="")


def _messages_of(patient: Patient):
    return SmsMessage.objects.filter(_messages_filter(patient, patient.phone))


def _messages_filter(patient: Patient, phone: str) -> Q:
    """The patient's texts: linked to them, or to or from their number (an inbound
    text from an unknown number is not linked). On a number other patients share (a
    family phone) the texts linked to one of them are theirs, not this patient's."""
    by_number = Q(from_number=phone) | Q(to_number=phone)
    others = Patient.objects.filter(phone=phone, erased_at__isnull=True).exclude(pk=patient.pk)
    if phone and others.exists():
        by_number &= ~Q(patient__in=others)
    return Q(patient=patient) | by_number
