"""A patient's data rights: export (GDPR art. 15/20, HIPAA right of access) and
erasure (GDPR art. 17). Both are service functions: one transaction, inside the
clinic's tenant context, and audited with the patient's id (never their name).

Erasure keeps what a clinic must keep and pseudonymises it: the patient row stays
(its appointments point at it), with the name replaced, the phone replaced by a
placeholder no real number can equal, and email, birth date, notes and time zone cleared.
Appointments keep their times, provider, type and status history; their notes are
cleared. Texts to and from the patient lose their bodies and the patient's number,
their voicemails are deleted with their audio and transcripts,
and stored API responses that may repeat the patient's details are deleted."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clinic.api.models import IdempotencyRecord, WebhookEvent
from clinic.appointments.models import Appointment, AppointmentMove, AppointmentStatusChange, Patient
from clinic.appointments.services import patient_set_sms_consent
from clinic.audit.models import AuditEvent
from clinic.audit.trail import Action, record
from clinic.messaging.compliance_models import ConsentSource
from clinic.messaging.consent import consent_records_of
from clinic.messaging.models import ConfirmationRequest, SmsMessage
from clinic.messaging.optouts import number_history
from clinic.voice.models import Voicemail
from clinic.voice.services import voicemails_erase_for

PROFILE_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "date_of_birth",
    "phone",
    "email",
    "notes",
    "timezone",
    "sms_consent",
    "sms_consent_changed_at",
    "created_at",
    "updated_at",
    "erased_at",
)
APPOINTMENT_FIELDS = ("id", "starts_at", "ends_at", "status", "notes", "created_at")
MESSAGE_FIELDS = ("id", "direction", "kind", "from_number", "to_number", "body", "status", "created_at")
CONSENT_RECORD_FIELDS = ("at", "consented", "source", "wording", "note", "actor_type", "actor_label")
# The number's opt-outs and opt-ins, any sender number of the clinic's (a family phone's are shared).
OPT_OUT_FIELDS = ("at", "opted_out", "sender_number", "method", "keyword", "reason", "actor_type", "actor_label")
VOICEMAIL_FIELDS = (
    "id",
    "received_at",
    "duration_seconds",
    "status",
    "transcript",
    "transcript_status",
    "handled_at",
)
EVENT_FIELDS = ("at", "action", "actor_type", "actor_label", "object_type", "object_id", "changed_fields")
ERASED_NAME = "Erased"


@transaction.atomic
def patient_export(*, patient: Patient, export_format: str = "json") -> dict[str, Any]:
    """Everything the clinic holds about one patient, as plain data (see
    docs/admin/data-rights.md); recorded as an `export` event."""
    appointments = Appointment.objects.filter(patient=patient).select_related("provider", "appointment_type")
    history = AppointmentStatusChange.objects.filter(appointment__patient=patient).order_by("changed_at")
    by_appointment: dict[uuid.UUID, list] = {}
    for change in history:
        by_appointment.setdefault(change.appointment_id, []).append(
            {"from": change.from_status, "to": change.to_status, "at": change.changed_at, "via": change.via}
        )
    moves: dict[uuid.UUID, list] = {}
    for move in AppointmentMove.objects.filter(appointment__patient=patient).select_related(
        "from_provider", "to_provider"
    ):
        moves.setdefault(move.appointment_id, []).append(_move(move))
    requests = ConfirmationRequest.objects.filter(appointment__patient=patient).order_by("created_at")
    data = {
        "exported_at": timezone.now(),
        "clinic": patient.organization_id,
        "profile": _fields(patient, PROFILE_FIELDS),
        "appointments": [
            {
                **_fields(visit, APPOINTMENT_FIELDS),
                "provider": str(visit.provider),
                "appointment_type": str(visit.appointment_type),
                "status_history": by_appointment.get(visit.id, []),
                "moves": moves.get(visit.id, []),
            }
            for visit in appointments.order_by("starts_at")
        ],
        "messages": [_fields(m, MESSAGE_FIELDS) for m in _messages_of(patient).order_by("created_at")],
        # Their voicemails: metadata and transcript (the audio is listened to in the clinic, not exported).
        "voicemails": [
            {**_fields(v, VOICEMAIL_FIELDS), "from_number": v.call.from_number}
            for v in Voicemail.objects.filter(patient=patient).select_related("call").order_by("received_at")
        ],
        "confirmation_requests": [
            {"appointment": r.appointment_id, "status": r.status, "response": r.response, "at": r.responded_at}
            for r in requests
        ],
        "consent_history": _consent_history(patient),
        "consent_records": [_fields(r, CONSENT_RECORD_FIELDS) for r in consent_records_of(patient)],
        "number_opt_out_history": [_fields(e, OPT_OUT_FIELDS) for e in number_history(patient.phone)],
        "audit_events": [
            _fields(e, EVENT_FIELDS) for e in AuditEvent.objects.filter(patient_id=patient.pk).order_by("at", "id")
        ],
    }
    record(Action.EXPORT, obj=patient, changed_fields=[export_format])
    return data


def _move(move: AppointmentMove) -> dict:
    return {
        "from": {"starts_at": move.from_starts_at, "ends_at": move.from_ends_at, "provider": str(move.from_provider)},
        "to": {"starts_at": move.to_starts_at, "ends_at": move.to_ends_at, "provider": str(move.to_provider)},
        "at": move.changed_at,
        "via": move.via,
    }


def _consent_history(patient: Patient) -> list[dict]:
    """Every recorded change of the patient's SMS consent (the audit trail), then the current state."""
    changes = AuditEvent.objects.filter(
        patient_id=patient.pk, object_type="appointments.Patient", changed_fields__contains=["sms_consent"]
    ).order_by("at")
    history = [{"at": e.at, "event": e.action, "by": e.actor_label or e.actor_type} for e in changes]
    return [*history, {"current": patient.sms_consent, "since": patient.sms_consent_changed_at}]


@transaction.atomic
def patient_erase(*, patient: Patient) -> Patient:
    """Remove the patient's personal data, keeping pseudonymised appointments."""
    patient_set_sms_consent(patient=patient, opted_in=False, source=ConsentSource.SYSTEM, note="Personal data erased.")
    patient.refresh_from_db(from_queryset=Patient.objects.select_for_update())
    phone, email = patient.phone, patient.email
    SmsMessage.objects.filter(_messages_filter(patient, phone)).update(body="", from_number="", to_number="")
    voicemails_erase_for(patient)
    _forget_stored_api_responses(patient, phone, email)
    _scrub_webhook_events(patient)
    Appointment.objects.filter(patient=patient).exclude(notes="").update(notes="", updated_at=timezone.now())
    patient.first_name = ERASED_NAME
    patient.last_name = f"patient {str(patient.pk)[:8]}"
    # Not a number: E.164 has no country code 0, so no text can ever match it, and
    # the patient's id keeps it unique in the clinic.
    patient.phone = f"+0{patient.pk.hex[:20]}"
    patient.email = ""
    patient.notes = ""
    patient.timezone = ""  # where they live
    patient.date_of_birth = None
    patient.sms_consent = Patient.SmsConsent.OPTED_OUT
    patient.sms_consent_changed_at = patient.erased_at = timezone.now()
    patient.save()
    _rewrite_calendar_events(patient)
    record(Action.ERASE, object_type="appointments.Patient", object_id=patient.pk, patient_id=patient.pk)
    return patient


def _rewrite_calendar_events(patient: Patient) -> None:
    """CalDAV calendars that show patients' initials or names hold the old ones in
    their events: rewrite those with the pseudonym once the erasure commits."""
    from clinic.calendars.caldav.tasks import defer_pushes_for_patient

    defer_pushes_for_patient(patient)


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


def _forget_stored_api_responses(patient: Patient, phone: str, email: str) -> None:
    """Idempotency records keep an API response for replays; one may hold the
    patient's details. Those are deleted (a replay then runs the request anew)."""
    needles = [str(patient.pk), phone] + ([email] if email else [])
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


def _fields(obj, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in names}


def _plain(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
