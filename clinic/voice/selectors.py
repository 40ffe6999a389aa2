"""Reading the clinic's voicemails for its pages and the navigation."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

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


def _waiting():
    return Voicemail.objects.filter(handled_at__isnull=True).exclude(status=Voicemail.Status.AWAITING)


def inbox_count() -> int:
    # One COUNT on the partial index voice_vm_org_inbox_idx.
    return _waiting().count()


def membership_figures() -> dict:
    """The navigation's voicemail badge, read with the memberships on every signed-in
    request (clinic.membership_figures), so the layout costs no statement of its own.
    The same COUNT as inbox_count(); RLS lets it count the active clinic's only."""
    waiting = (
        _waiting()
        .filter(organization_id=OuterRef("organization_id"))
        .order_by()
        .values("organization_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    return {INBOX_COUNT_ATTRIBUTE: Coalesce(Subquery(waiting), 0)}


def candidates_of(voicemails) -> dict:
    """For voicemails whose number several patients share: those patients, by id."""
    ids = {pk for voicemail in voicemails for pk in voicemail.candidate_patient_ids}
    if not ids:
        return {}
    return {patient.pk: patient for patient in Patient.objects.filter(pk__in=ids).order_by("last_name", "first_name")}
