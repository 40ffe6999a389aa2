"""A patient's data rights: export (GDPR art. 15/20, HIPAA right of access) and
erasure (GDPR art. 17). Both are service functions: one transaction, inside the
clinic's tenant context, and audited with the patient's id (never their name).

Erasure keeps what a clinic must keep and pseudonymises it: the patient row stays
(its appointments point at it), with the name replaced, the phone replaced by a
placeholder no real number can equal, and email, birth date, notes and time zone cleared.
Appointments keep their times, provider, type and status history; their notes are
cleared. Texts to and from the patient lose their bodies and the patient's number,
their voicemails are deleted with their audio and transcripts,
and stored API responses that may repeat the patient's details are deleted.

Scheduling's and audit's parts are here; every other app's part is its `data_rights`
module, found by clinic.data_rights.registry (an app's sections of the export, and
what its erasure removes)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinic.appointments.models import Appointment, AppointmentMove, AppointmentStatusChange, Patient
from clinic.appointments.services import patient_set_sms_consent
from clinic.audit.models import AuditEvent
from clinic.audit.trail import Action, record
from clinic.core.plain_data import fields_of
from clinic.data_rights import registry
from clinic.messaging.compliance_models import ConsentSource

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
    data = {
        "exported_at": timezone.now(),
        "clinic": patient.organization_id,
        "profile": fields_of(patient, PROFILE_FIELDS),
        "appointments": [
            {
                **fields_of(visit, APPOINTMENT_FIELDS),
                "provider": str(visit.provider),
                "appointment_type": str(visit.appointment_type),
                "status_history": by_appointment.get(visit.id, []),
                "moves": moves.get(visit.id, []),
            }
            for visit in appointments.order_by("starts_at")
        ],
        "consent_history": _consent_history(patient),
        "audit_events": [
            fields_of(e, EVENT_FIELDS) for e in AuditEvent.objects.filter(patient_id=patient.pk).order_by("at", "id")
        ],
    }
    for export in registry.exporters():
        data.update(export(patient))
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
    for erase in registry.erasers():
        erase(patient)
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
    record(Action.ERASE, object_type="appointments.Patient", object_id=patient.pk, patient_id=patient.pk)
    return patient
