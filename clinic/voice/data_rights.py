"""Calls' part of a patient's export and erasure (clinic.data_rights): their
voicemails' metadata and transcripts (the audio is listened to in the clinic, not
exported); an erasure deletes them with their audio."""

from __future__ import annotations

from clinic.appointments.models import Patient
from clinic.core.plain_data import fields_of
from clinic.voice.models import Voicemail
from clinic.voice.services import voicemails_erase_for

VOICEMAIL_FIELDS = (
    "id",
    "received_at",
    "duration_seconds",
    "status",
    "transcript",
    "transcript_status",
    "handled_at",
)


def export(patient: Patient) -> dict:
    voicemails = Voicemail.objects.filter(patient=patient).select_related("call").order_by("received_at")
    return {"voicemails": [{**fields_of(v, VOICEMAIL_FIELDS), "from_number": v.call.from_number} for v in voicemails]}


def erase(patient: Patient) -> None:
    voicemails_erase_for(patient)
