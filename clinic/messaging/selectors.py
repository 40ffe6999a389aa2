"""Reads of a clinic's texts for the staff pages: the log and the
inbox. Every query goes through the scoped managers, so only the active
clinic's rows are ever read."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from clinic.appointments.models import AppointmentStatusChange, Patient
from clinic.messaging.models import SmsMessage

# Status changes the patient made themselves, from a text or its link.
PATIENT_VIAS = (AppointmentStatusChange.Via.SMS, AppointmentStatusChange.Via.LINK)
PATIENT_TEXTS_SHOWN = 10


def messages_with_related() -> QuerySet[SmsMessage]:
    return SmsMessage.objects.select_related("patient", "appointment", "sent_by", "handled_by")


# --- the log and the inbox ------------------------------------------------------------


def log_messages(
    *,
    since: dt.datetime | None = None,
    before: dt.datetime | None = None,
    direction: str = "",
    status: str = "",
    patient: Patient | None = None,
    query: str = "",
) -> QuerySet[SmsMessage]:
    """The clinic's texts, newest first, narrowed by whichever filters are given.
    `query` matches the patient's name (as the patient search does) or digits of
    either number, so a text from an unknown number can be found too."""
    messages = messages_with_related().order_by("-created_at", "-id")
    if since is not None:
        messages = messages.filter(created_at__gte=since)
    if before is not None:
        messages = messages.filter(created_at__lt=before)
    if direction:
        messages = messages.filter(direction=direction)
    if status:
        messages = messages.filter(status=status)
    if patient is not None:
        messages = messages.filter(patient=patient)
    if query.strip():
        matches = Q(patient__in=Patient.objects.search(query).values("pk"))
        digits = "".join(char for char in query if char.isdigit())
        if len(digits) >= 4:
            matches |= Q(from_number__contains=digits) | Q(to_number__contains=digits)
        messages = messages.filter(matches)
    return messages


def inbox_messages() -> QuerySet[SmsMessage]:
    """Texts waiting for a person (replies nobody could match, failed sends), oldest first."""
    return messages_with_related().filter(needs_attention=True, handled_at__isnull=True).order_by("created_at", "id")


def inbox_count() -> int:
    # One COUNT on the partial index msg_org_inbox_idx.
    return SmsMessage.objects.filter(needs_attention=True, handled_at__isnull=True).count()
