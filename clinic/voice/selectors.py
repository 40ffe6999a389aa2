"""Reading the clinic's voicemails for its pages and the navigation."""

from __future__ import annotations

from clinic.appointments.models import Patient
from clinic.voice.models import Voicemail

# Where the inbox page leaves its count for the navigation (counted once).
INBOX_COUNT_ATTRIBUTE = "calls_inbox_count"


def inbox_voicemails():
    """Voicemails nobody has handled yet, oldest first (awaiting ones have no recording yet)."""
    return (
        Voicemail.objects.filter(handled_at__isnull=True)
        .exclude(status=Voicemail.Status.AWAITING)
        .select_related("call", "patient")
        .order_by("received_at", "id")
    )


def inbox_count() -> int:
    # One COUNT on the partial index voice_vm_org_inbox_idx.
    return Voicemail.objects.filter(handled_at__isnull=True).exclude(status=Voicemail.Status.AWAITING).count()


def candidates_of(voicemails) -> dict:
    """For voicemails whose number several patients share: those patients, by id."""
    ids = {pk for voicemail in voicemails for pk in voicemail.candidate_patient_ids}
    if not ids:
        return {}
    return {patient.pk: patient for patient in Patient.objects.filter(pk__in=ids).order_by("last_name", "first_name")}
