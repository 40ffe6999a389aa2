"""Reads of a clinic's texts for the staff pages: the log, the inbox, one
appointment's thread, one patient's recent texts, and the marks on the day
schedule. Every query goes through the scoped managers, so only the active
clinic's rows are ever read."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format

from clinic.appointments.models import Appointment, AppointmentStatusChange, Patient
from clinic.core.row_lists import records_from, rows_of
from clinic.messaging.models import ConfirmationRequest, SmsMessage

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


def awaiting_answer(phones: Iterable[str], now: dt.datetime | None = None) -> dict[str, list[Appointment]]:
    """For each number, the appointments still waiting for its answer, soonest first, as
    the reply handling sees them: so a reply that matched more than one can link to them."""
    from clinic.messaging.inbound import open_requests_to_numbers

    phones = set(phones)
    if not phones:
        return {}
    waiting: dict[str, dict[uuid.UUID, Appointment]] = {}
    requests = open_requests_to_numbers(phones, now or timezone.now()).select_related("appointment__patient")
    for request in requests.order_by("appointment__starts_at", "appointment_id"):
        appointment = request.appointment
        waiting.setdefault(appointment.patient.phone, {})[appointment.pk] = appointment
    return {phone: list(by_id.values()) for phone, by_id in waiting.items()}


# Where a page that counted the inbox already leaves the count for the navigation.
INBOX_COUNT_ATTRIBUTE = "sms_inbox_count"


def inbox_count() -> int:
    # One COUNT on the partial index msg_org_inbox_idx.
    return SmsMessage.objects.filter(needs_attention=True, handled_at__isnull=True).count()


def membership_figures() -> dict:
    """What the tenant middleware reads with the memberships on every signed-in request
    (TENANCY_MEMBERSHIP_FIGURES): the navigation's inbox badge, so the layout costs no
    statement of its own. The same COUNT as inbox_count(), per membership's clinic:
    RLS lets it count the active clinic's texts only (the others' come out 0)."""
    waiting = (
        SmsMessage.objects.filter(
            organization_id=OuterRef("organization_id"), needs_attention=True, handled_at__isnull=True
        )
        .order_by()
        .values("organization_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    return {INBOX_COUNT_ATTRIBUTE: Coalesce(Subquery(waiting), 0)}


# --- one appointment, one patient ------------------------------------------------------


@dataclass(frozen=True)
class RequestLine:
    """One confirmation request as the appointment page describes it."""

    request: ConfirmationRequest
    lead: str
    state: str
    note: str


@dataclass(frozen=True)
class Thread:
    messages: list[SmsMessage]
    requests: list[RequestLine]
    # Whether "Send confirmation now" is worth offering; the service has the last word.
    can_ask: bool


def appointment_thread(appointment: Appointment, now: dt.datetime | None = None) -> Thread:
    """The texts of one appointment, oldest first, and its confirmation requests."""
    now = now or timezone.now()
    messages = list(messages_with_related().filter(appointment=appointment).order_by("created_at", "id"))
    if hasattr(appointment, "confirmation_rows"):
        requests = records_from(ConfirmationRequest, appointment.confirmation_rows, "message")
    else:
        requests = _confirmation_requests(appointment=appointment)
    return Thread(
        messages=messages,
        requests=[_request_line(request, now) for request in requests],
        can_ask=appointment.status == Appointment.Status.SCHEDULED and appointment.starts_at > now,
    )


def with_confirmation_requests(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """`appointments` with their confirmation requests (`confirmation_rows`) as a
    column of their read, for appointment_thread()."""
    return appointments.annotate(
        confirmation_rows=rows_of(_confirmation_requests(appointment=OuterRef("pk")), "message")
    )


def _confirmation_requests(**of) -> QuerySet[ConfirmationRequest]:
    return ConfirmationRequest.objects.filter(**of).select_related("message").order_by("due_at", "created_at")


def _request_line(request: ConfirmationRequest, now: dt.datetime) -> RequestLine:
    if request.lead_minutes is None:
        lead = "Sent by hand"
    else:
        hours, minutes = divmod(request.lead_minutes, 60)
        lead = f"{hours} h before" if not minutes else f"{hours} h {minutes} min before"
    note = request.skip_reason
    if request.status == ConfirmationRequest.Status.PENDING and request.window_note:
        note = request.window_note  # the recipient's clock made it wait: the zone is named
    return RequestLine(request=request, lead=lead, state=_request_state(request, now), note=note)


def _request_state(request: ConfirmationRequest, now: dt.datetime) -> str:
    if request.response:
        how = "by text reply" if request.responded_via == AppointmentStatusChange.Via.SMS else "with the link"
        return f"{request.get_response_display()} {how}"
    status = ConfirmationRequest.Status
    if request.status == status.PENDING:
        if request.due_at <= now:
            return "Going out now"
        local = timezone.localtime(request.due_at)
        return f"Due {date_format(local, 'MONTH_DAY_FORMAT')}, {date_format(local, 'H:i')}"
    if request.status == status.QUEUED:
        message = request.message
        return f"Texted ({message.get_status_display().lower()}), no answer yet" if message else "Texted, no answer yet"
    return request.get_status_display()


# What a text shows of its own records (message_table.html, compact: not the patient).
_PATIENT_TEXT_RELATED = ("appointment", "sent_by", "handled_by")


def patient_messages(patient: Patient, limit: int = PATIENT_TEXTS_SHOWN) -> list[SmsMessage]:
    """The patient's latest texts, newest first: from the patient's own read when it
    was read with_latest_texts()."""
    if hasattr(patient, "latest_texts"):
        return records_from(SmsMessage, patient.latest_texts, *_PATIENT_TEXT_RELATED)[:limit]
    return list(messages_with_related().filter(patient=patient).order_by("-created_at", "-id")[:limit])


def with_latest_texts(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """`patients` with their latest texts (`latest_texts`) as a column of their read."""
    latest = SmsMessage.objects.filter(patient=OuterRef("pk")).order_by("-created_at", "-id")[:PATIENT_TEXTS_SHOWN]
    return patients.annotate(latest_texts=rows_of(latest, *_PATIENT_TEXT_RELATED))


# --- the day schedule ------------------------------------------------------------------


@dataclass(frozen=True)
class SmsMark:
    kind: str  # "sent", "confirmed" or "cancelled": the CSS modifier
    label: str

    @property
    def icon(self) -> str:
        return {"confirmed": "\N{CHECK MARK}", "cancelled": "\N{MULTIPLICATION X}"}.get(self.kind, "\N{ENVELOPE}")


SENT = SmsMark("sent", "SMS sent")
ANSWERS = {
    Appointment.Status.CONFIRMED: SmsMark("confirmed", "Confirmed by SMS"),
    Appointment.Status.CANCELLED: SmsMark("cancelled", "Cancelled by SMS"),
}


def sms_mark_annotations() -> dict:
    """What an appointment's SMS mark is made of, as annotations on its own query (the
    day schedule reads them with its appointments, no query of their own): its latest
    status change's channel and status, and whether a request texted for its current
    time waits for an answer."""
    latest = AppointmentStatusChange.objects.filter(appointment_id=OuterRef("pk")).order_by("-changed_at", "-id")
    waiting = ConfirmationRequest.objects.filter(
        appointment_id=OuterRef("pk"),
        status=ConfirmationRequest.Status.QUEUED,
        response="",
        appointment_starts_at=OuterRef("starts_at"),
    )
    return {
        "sms_latest_via": Subquery(latest.values("via")[:1]),
        "sms_latest_status": Subquery(latest.values("to_status")[:1]),
        "sms_request_waiting": Exists(waiting),
    }


def sms_mark_of(appointment: Appointment) -> SmsMark | None:
    """The SMS mark of an appointment read with sms_mark_annotations():
    "Confirmed/Cancelled by SMS" when the latest status change was the patient's
    answer (by text or link), else "SMS sent" while a request texted for the
    appointment's current time waits for an answer."""
    if appointment.sms_latest_via in PATIENT_VIAS and appointment.sms_latest_status in ANSWERS:
        return ANSWERS[appointment.sms_latest_status]
    if appointment.sms_request_waiting and appointment.status == Appointment.Status.SCHEDULED:
        return SENT
    return None


def day_marks(appointment_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, SmsMark]:
    """The SMS mark of each appointment (sms_mark_of), in one query whatever their number."""
    ids = list(appointment_ids)
    if not ids:
        return {}
    appointments = Appointment.objects.filter(pk__in=ids).annotate(**sms_mark_annotations())
    return {appointment.pk: mark for appointment in appointments if (mark := sms_mark_of(appointment))}
