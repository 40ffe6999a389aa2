"""Writes to the schedule. Each function is keyword-only, runs in one transaction and
must be called inside the clinic's tenant context (the request's, a job's, an API
key's); the models refuse to save without one.

Double booking is refused by PostgreSQL (the exclusion constraints on Appointment).
Validation checks first, to name the appointment in the way; when two bookings race,
the database refuses the second and Appointment.save() turns that into the same
SlotConflict."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.appointments import signals
from clinic.appointments.errors import SlotConflict, violated_constraint
from clinic.appointments.models import (
    PHONE_TAKEN,
    Appointment,
    AppointmentStatusChange,
    AppointmentType,
    Patient,
    Provider,
)

if TYPE_CHECKING:
    from clinic.accounts.models import User

__all__ = [
    "SlotConflict",
    "appointment_book",
    "appointment_cancel",
    "appointment_set_status",
    "appointment_type_create",
    "appointment_type_update",
    "appointment_update",
    "patient_create",
    "patient_set_sms_consent",
    "patient_update",
    "provider_create",
    "provider_update",
]

APPOINTMENT_FIELDS = frozenset({"patient", "provider", "appointment_type", "starts_at", "ends_at", "notes"})
PATIENT_FIELDS = frozenset({"first_name", "last_name", "date_of_birth", "phone", "email", "notes"})


# --- Appointments ---------------------------------------------------------------


@transaction.atomic
def appointment_book(
    *,
    patient: Patient,
    provider: Provider,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    notes: str = "",
    booked_by: User | None,
    via: str = AppointmentStatusChange.Via.STAFF,
) -> Appointment:
    """Book a scheduled appointment; `ends_at` defaults to the type's duration.

    Raises ValidationError (inactive provider or type, bad times) or SlotConflict."""
    _require_aware(starts_at=starts_at, ends_at=ends_at)
    if ends_at is None:
        ends_at = starts_at + dt.timedelta(minutes=appointment_type.default_duration)
    appointment = Appointment(
        patient=patient,
        provider=provider,
        appointment_type=appointment_type,
        starts_at=starts_at,
        ends_at=ends_at,
        notes=notes,
        status=Appointment.Status.SCHEDULED,
        status_changed_at=timezone.now(),
        status_changed_by=booked_by,
    )
    appointment.claim_for_current_org()
    _full_clean(appointment)
    appointment.save(force_insert=True)
    appointment.record_status_change(from_status="", changed_by=booked_by, via=via)
    _announce(appointment, signals.BOOKED, previous_status="", changed_fields=(), via=via, changed_by=booked_by)
    return appointment


@transaction.atomic
def appointment_update(
    *,
    appointment: Appointment,
    changed_by: User | None,
    via: str = AppointmentStatusChange.Via.STAFF,
    **fields,
) -> Appointment:
    """Reschedule, or change the patient, provider, type or notes.

    Moving `starts_at` alone keeps the duration. Moving a confirmed appointment puts it
    back to scheduled: the patient confirmed the old time. Only the notes of a closed
    (completed, cancelled, no-show) appointment can change."""
    unknown = set(fields) - APPOINTMENT_FIELDS
    if unknown:
        raise TypeError(
            f"appointment_update() cannot change {', '.join(sorted(unknown))}; "
            "the status changes through appointment_set_status()."
        )
    _require_aware(starts_at=fields.get("starts_at"), ends_at=fields.get("ends_at"))
    _lock_and_reload(appointment)
    if "starts_at" in fields and "ends_at" not in fields:
        fields["ends_at"] = fields["starts_at"] + (appointment.ends_at - appointment.starts_at)
    changed = {name: value for name, value in fields.items() if getattr(appointment, name) != value}
    if not changed:
        return appointment
    for name, value in changed.items():
        setattr(appointment, name, value)
    previous_status = appointment.status
    moved = {"starts_at", "ends_at"} & set(changed)
    if moved and appointment.status == Appointment.Status.CONFIRMED:
        _set_status(appointment, Appointment.Status.SCHEDULED, changed_by, via)
    _full_clean(appointment)
    appointment.save()
    _announce(
        appointment,
        signals.UPDATED,
        previous_status=previous_status,
        changed_fields=tuple(sorted(changed)),
        via=via,
        changed_by=changed_by,
    )
    return appointment


@transaction.atomic
def appointment_set_status(
    *,
    appointment: Appointment,
    status: str,
    changed_by: User | None,
    via: str = AppointmentStatusChange.Via.STAFF,
) -> Appointment:
    """Move the appointment to `status` if the front-desk rules allow it (see
    Appointment.TRANSITIONS), and record the step in its history.

    Setting the status it already has changes nothing (a patient may confirm twice).
    Reinstating a cancelled or no-show appointment raises SlotConflict if its time
    has been given away meanwhile."""
    _lock_and_reload(appointment)
    if appointment.status == status:
        return appointment
    problem = appointment.transition_problem(status, timezone.now())
    if problem:
        raise ValidationError({"status": problem}, code="invalid_transition")
    previous_status = appointment.status
    _set_status(appointment, status, changed_by, via)
    if appointment.holds_slot:
        _full_clean(appointment)  # names the conflict if its slot was given away
    appointment.save(update_fields=["status", "status_changed_at", "status_changed_by", "updated_at"])
    _announce(
        appointment,
        signals.STATUS_CHANGED,
        previous_status=previous_status,
        changed_fields=("status",),
        via=via,
        changed_by=changed_by,
    )
    return appointment


def appointment_cancel(
    *, appointment: Appointment, changed_by: User | None, via: str = AppointmentStatusChange.Via.STAFF
) -> Appointment:
    return appointment_set_status(
        appointment=appointment, status=Appointment.Status.CANCELLED, changed_by=changed_by, via=via
    )


def _set_status(appointment: Appointment, status: str, changed_by: User | None, via: str) -> AppointmentStatusChange:
    previous = appointment.status
    appointment.status = status
    appointment.status_changed_at = timezone.now()
    appointment.status_changed_by = changed_by
    return appointment.record_status_change(from_status=previous, changed_by=changed_by, via=via)


def _announce(appointment: Appointment, change: str, **details) -> None:
    """Tell the receivers (SMS requests, integrator events, audit) inside this transaction."""
    signals.appointment_changed.send(sender=Appointment, appointment=appointment, change=change, **details)


def _lock_and_reload(appointment: Appointment) -> None:
    """Lock the row and re-read it: a concurrent change (an SMS reply, another desk)
    is neither overwritten nor judged from a stale status."""
    appointment.refresh_from_db(from_queryset=Appointment.objects.select_for_update())


def _full_clean(appointment: Appointment) -> None:
    """full_clean(), raising the SlotConflict itself when an overlap is the only problem."""
    try:
        appointment.full_clean()
    except ValidationError as exc:
        errors = exc.update_error_dict({})
        conflicts = [error for error in errors.get(NON_FIELD_ERRORS, []) if isinstance(error, SlotConflict)]
        if conflicts and len(conflicts) == len(exc.messages):
            raise conflicts[0] from None
        raise


def _require_aware(**values: dt.datetime | None) -> None:
    for name, value in values.items():
        if value is not None and timezone.is_naive(value):
            raise ValueError(f"{name} must be timezone-aware (use clinic.appointments.timezones.localize).")


# --- Patients -------------------------------------------------------------------


@transaction.atomic
def patient_create(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    phone: str,
    email: str = "",
    notes: str = "",
    sms_consent: str = Patient.SmsConsent.OPTED_IN,
) -> Patient:
    """Register a patient. The phone is normalised to E.164 and must be unique in the
    clinic (the same number in another clinic is a different patient)."""
    patient = Patient(
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        phone=phone,
        email=email,
        notes=notes,
        sms_consent=sms_consent,
        sms_consent_changed_at=timezone.now(),
    )
    patient.claim_for_current_org()
    patient.full_clean()
    _save_patient(patient, force_insert=True)
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, **fields) -> Patient:
    """Change a patient's details; SMS consent changes through patient_set_sms_consent()."""
    unknown = set(fields) - PATIENT_FIELDS
    if unknown:
        raise TypeError(f"patient_update() cannot change {', '.join(sorted(unknown))}.")
    patient.refresh_from_db(from_queryset=Patient.objects.select_for_update())
    for name, value in fields.items():
        setattr(patient, name, value)
    patient.full_clean()
    _save_patient(patient)
    return patient


@transaction.atomic
def patient_set_sms_consent(*, patient: Patient, opted_in: bool) -> Patient:
    """Record an opt-in or opt-out (STOP/START) and when it happened. Saying the same
    twice keeps the original time."""
    patient.refresh_from_db(from_queryset=Patient.objects.select_for_update())
    consent = Patient.SmsConsent.OPTED_IN if opted_in else Patient.SmsConsent.OPTED_OUT
    if patient.sms_consent != consent:
        patient.sms_consent = consent
        patient.sms_consent_changed_at = timezone.now()
        patient.save(update_fields=["sms_consent", "sms_consent_changed_at", "updated_at"])
    return patient


def _save_patient(patient: Patient, **kwargs) -> None:
    """Save in a savepoint: a racing registration of the same phone becomes the
    same ValidationError full_clean() gives, not a broken transaction."""
    try:
        with transaction.atomic():
            patient.save(**kwargs)
    except IntegrityError as exc:
        if violated_constraint(exc) != Patient.PHONE_CONSTRAINT:
            raise
        raise ValidationError({"phone": PHONE_TAKEN}, code="phone_taken") from exc


# --- Providers and appointment types ----------------------------------------------
# Minimal writes for the API; the staff setup pages save through their model forms.

PROVIDER_FIELDS = frozenset({"title", "name", "specialty", "active"})
APPOINTMENT_TYPE_FIELDS = frozenset({"name", "default_duration", "colour", "active"})


@transaction.atomic
def provider_create(**fields) -> Provider:
    return _save_new(Provider(), PROVIDER_FIELDS, fields)


@transaction.atomic
def provider_update(*, provider: Provider, **fields) -> Provider:
    return _save_changed(provider, PROVIDER_FIELDS, fields)


@transaction.atomic
def appointment_type_create(**fields) -> AppointmentType:
    return _save_new(AppointmentType(), APPOINTMENT_TYPE_FIELDS, fields)


@transaction.atomic
def appointment_type_update(*, appointment_type: AppointmentType, **fields) -> AppointmentType:
    return _save_changed(appointment_type, APPOINTMENT_TYPE_FIELDS, fields)


def _save_new(obj, allowed: frozenset[str], fields: dict):
    _set_fields(obj, allowed, fields)
    obj.claim_for_current_org()
    obj.full_clean()
    obj.save(force_insert=True)
    return obj


def _save_changed(obj, allowed: frozenset[str], fields: dict):
    obj.refresh_from_db(from_queryset=type(obj).objects.select_for_update())
    _set_fields(obj, allowed, fields)
    obj.full_clean()
    obj.save()
    return obj


def _set_fields(obj, allowed: frozenset[str], fields: dict) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Cannot set {', '.join(sorted(unknown))} on {type(obj).__name__}.")
    for name, value in fields.items():
        setattr(obj, name, value)
