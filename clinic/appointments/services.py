"""Writes to the schedule: appointments, patients, providers with their working hours,
and appointment types. Staff pages, the admin, the API, jobs, webhooks and seed data
all write through these functions and nowhere else, so whatever hangs off them (the
appointment_changed signal, the status history) sees every change.

Each function is keyword-only, runs in one transaction and must be called inside the
clinic's tenant context (the request's, a job's, an API key's); the models refuse to
save without one.

The appointment functions record each change at the current time, or at `at`: when a
change that happened earlier is entered now (an import, the demo clinics). `at` may not
be in the future nor before the appointment's last recorded change, so the history
stays in order; the front-desk rules (a no-show only once started) are judged at `at`.

Double booking is refused by PostgreSQL (the exclusion constraints on Appointment).
Validation checks first, to name the appointment in the way; when two bookings race,
the database refuses the second and Appointment.save() turns that into the same
SlotConflict.

A provider busy in one of their busy calendars (clinic.calendars.conflicts) is refused
the same way, or, if the clinic's calendar settings say so, booked with a warning: the
returned appointment's `warnings` lists it for the caller to show.

A new time or provider is kept in the appointment's history (AppointmentMove), with
where it was and where it went.

Booking or moving to a time that is probably a mistake (clinic.appointments.guards: in
the past, outside working hours, on the provider's day off, at night) is refused with
BookingNeedsConfirmation when the caller passes `override_warnings`, the codes the
person confirmed, unless it names every warning; the returned appointment's
`overridden_warnings` lists the ones booked despite. The staff pages and the API pass
it; imports, seed data and the admin leave it out (None) and are not asked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.timezone import now as current_time

from clinic.appointments import availability, signals
from clinic.appointments.errors import BookingNeedsConfirmation, BookingWarning, SlotConflict
from clinic.appointments.guards import booking_warnings
from clinic.appointments.models import (
    Appointment,
    AppointmentMove,
    AppointmentStatusChange,
    AppointmentType,
    Patient,
    Provider,
    WorkingHours,
)
from clinic.audit.trail import Action, Actor, ActorInfo, record, user_actor
from tenancy.context import current_org_id
from tenancy.models import Organization, validate_locale

if TYPE_CHECKING:
    from clinic.accounts.models import User

__all__ = [
    "BookingNeedsConfirmation",
    "SlotConflict",
    "appointment_book",
    "appointment_cancel",
    "appointment_set_status",
    "appointment_type_create",
    "appointment_type_update",
    "appointment_update",
    "clinic_set_locale",
    "patient_create",
    "patient_set_sms_consent",
    "patient_update",
    "provider_create",
    "provider_set_active",
    "provider_update",
    "working_hours_set",
]

APPOINTMENT_FIELDS = frozenset({"patient", "provider", "appointment_type", "starts_at", "ends_at", "notes"})
PATIENT_FIELDS = frozenset({"first_name", "last_name", "date_of_birth", "phone", "email", "notes", "timezone"})
PROVIDER_FIELDS = frozenset({"title", "name", "specialty", "active"})
APPOINTMENT_TYPE_FIELDS = frozenset({"name", "default_duration", "colour", "active"})


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
    at: dt.datetime | None = None,
    override_warnings: Collection[str] | None = None,
) -> Appointment:
    """Book a scheduled appointment; `ends_at` defaults to the type's duration.

    Raises ValidationError (inactive provider or type, bad times), SlotConflict, or
    BookingNeedsConfirmation (see the module's docstring)."""
    _require_aware(starts_at=starts_at, ends_at=ends_at)
    booked_at = _recorded_at(at)
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
        status_changed_at=booked_at,
        status_changed_by=booked_by,
    )
    appointment.claim_for_current_org()
    _full_clean(appointment)
    overridden = _guard(appointment, override_warnings)
    warnings = _busy_warnings(appointment)
    appointment.save(force_insert=True)
    appointment.warnings = warnings
    appointment.overridden_warnings = overridden
    appointment.record_status_change(from_status="", changed_by=booked_by, via=via)
    _announce(appointment, signals.BOOKED, previous_status="", changed_fields=(), via=via, changed_by=booked_by)
    return appointment


@transaction.atomic
def appointment_update(
    *,
    appointment: Appointment,
    changed_by: User | None,
    via: str = AppointmentStatusChange.Via.STAFF,
    at: dt.datetime | None = None,
    override_warnings: Collection[str] | None = None,
    **fields,
) -> Appointment:
    """Reschedule, or change the patient, provider, type or notes.

    Moving `starts_at` alone keeps the length (this is the one place that rule lives:
    the staff pages and the admin leave `ends_at` out when only the start moved);
    `ends_at=None` means the type's usual length. Moving a confirmed appointment puts
    it back to scheduled: the patient confirmed the old time. Only the notes of a
    closed (completed, cancelled, no-show) appointment can change. A new time or
    provider goes through the booking guards (see the module's docstring)."""
    unknown = set(fields) - APPOINTMENT_FIELDS
    if unknown:
        raise TypeError(
            f"appointment_update() cannot change {', '.join(sorted(unknown))}; "
            "the status changes through appointment_set_status()."
        )
    _require_aware(starts_at=fields.get("starts_at"), ends_at=fields.get("ends_at"))
    _lock_and_reload(appointment)
    changed_at = _recorded_at(at, not_before=appointment.status_changed_at)
    _fill_in_the_end(appointment, fields)
    changed = {name: value for name, value in fields.items() if getattr(appointment, name) != value}
    appointment.overridden_warnings = []
    if not changed:
        return appointment
    before = (appointment.starts_at, appointment.ends_at, appointment.provider)
    for name, value in changed.items():
        setattr(appointment, name, value)
    previous_status = appointment.status
    moved = {"starts_at", "ends_at"} & set(changed)
    if moved and appointment.status == Appointment.Status.CONFIRMED:
        _set_status(appointment, Appointment.Status.SCHEDULED, changed_by, via, changed_at)
    _full_clean(appointment)
    moved_or_handed_over = {"starts_at", "ends_at", "provider"} & set(changed)
    if moved_or_handed_over:
        appointment.overridden_warnings = _guard(appointment, override_warnings)
    warnings = _busy_warnings(appointment) if moved_or_handed_over else []
    appointment.sequence += 1  # the row is locked: no concurrent change counts the same number
    appointment.save()
    appointment.warnings = warnings
    if moved_or_handed_over:
        _record_move(appointment, before, changed_by, via, changed_at)
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
    at: dt.datetime | None = None,
) -> Appointment:
    """Move the appointment to `status` if the front-desk rules allow it (see
    Appointment.TRANSITIONS), and record the step in its history.

    Setting the status it already has changes nothing (a patient may confirm twice).
    Reinstating a cancelled or no-show appointment raises SlotConflict if its time
    has been given away meanwhile."""
    _lock_and_reload(appointment)
    if appointment.status == status:
        return appointment
    changed_at = _recorded_at(at, not_before=appointment.status_changed_at)
    problem = appointment.transition_problem(status, changed_at)
    if problem:
        raise ValidationError({"status": problem}, code="invalid_transition")
    previous_status = appointment.status
    _set_status(appointment, status, changed_by, via, changed_at)
    warnings = []
    if appointment.holds_slot:
        _full_clean(appointment)  # names the conflict if its slot was given away
        # A reinstated booking is a booking again; a late no-show who arrives is
        # already there, so that is not checked against busy calendars.
        if previous_status == Appointment.Status.CANCELLED:
            warnings = _busy_warnings(appointment)
    appointment.sequence += 1
    appointment.save(update_fields=["status", "status_changed_at", "status_changed_by", "sequence", "updated_at"])
    appointment.warnings = warnings
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
    *,
    appointment: Appointment,
    changed_by: User | None,
    via: str = AppointmentStatusChange.Via.STAFF,
    at: dt.datetime | None = None,
) -> Appointment:
    return appointment_set_status(
        appointment=appointment, status=Appointment.Status.CANCELLED, changed_by=changed_by, via=via, at=at
    )


def _fill_in_the_end(appointment: Appointment, fields: dict) -> None:
    """The end an update means when it does not say: the same length if only the start
    moved, the (new) type's usual length if it says None."""
    if "ends_at" not in fields:
        if "starts_at" in fields:
            fields["ends_at"] = fields["starts_at"] + (appointment.ends_at - appointment.starts_at)
    elif fields["ends_at"] is None:
        kind = fields.get("appointment_type", appointment.appointment_type)
        starts_at = fields.get("starts_at", appointment.starts_at)
        fields["ends_at"] = starts_at + dt.timedelta(minutes=kind.default_duration)


def _record_move(
    appointment: Appointment, before: tuple, changed_by: User | None, via: str, changed_at: dt.datetime
) -> AppointmentMove:
    """The appointment's history keeps where it was (`before`: start, end, provider) and where it went."""
    from_starts_at, from_ends_at, from_provider = before
    move = AppointmentMove(
        appointment=appointment,
        from_starts_at=from_starts_at,
        from_ends_at=from_ends_at,
        from_provider=from_provider,
        to_starts_at=appointment.starts_at,
        to_ends_at=appointment.ends_at,
        to_provider=appointment.provider,
        changed_by=changed_by,
        changed_at=changed_at,
        via=via,
    )
    move.claim_for_current_org()
    move.save(force_insert=True)
    return move


def _set_status(
    appointment: Appointment, status: str, changed_by: User | None, via: str, changed_at: dt.datetime
) -> AppointmentStatusChange:
    previous = appointment.status
    appointment.status = status
    appointment.status_changed_at = changed_at
    appointment.status_changed_by = changed_by
    return appointment.record_status_change(from_status=previous, changed_by=changed_by, via=via)


# The audit event of each change, and who made it when no signed-in person or key did.
CHANGE_ACTIONS = {signals.BOOKED: Action.CREATE, signals.UPDATED: Action.UPDATE, signals.STATUS_CHANGED: Action.UPDATE}
VIA_ACTORS = {
    AppointmentStatusChange.Via.SMS: ActorInfo(Actor.SMS_WEBHOOK, label="SMS reply"),
    AppointmentStatusChange.Via.LINK: ActorInfo(Actor.SYSTEM, label="Confirmation link"),
}


def _announce(
    appointment: Appointment, change: str, *, previous_status: str, changed_fields, via: str, changed_by
) -> None:
    """Tell the receivers above scheduling (SMS requests, integrator events, CalDAV
    pushes) inside this transaction, then audit the change (a call down to audit)."""
    signals.appointment_changed.send(
        sender=Appointment,
        appointment=appointment,
        change=change,
        previous_status=previous_status,
        changed_fields=changed_fields,
        via=via,
        changed_by=changed_by,
    )
    actor = user_actor(changed_by) if changed_by is not None else VIA_ACTORS.get(via)
    fields = changed_fields if change != signals.STATUS_CHANGED else ("status",)
    record(CHANGE_ACTIONS[change], obj=appointment, changed_fields=fields, actor=actor)


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


def _guard(appointment: Appointment, override_warnings: Collection[str] | None) -> list[BookingWarning]:
    """The booking guards' warnings, all confirmed (returned), or BookingNeedsConfirmation."""
    if override_warnings is None:
        return []
    zone = appointment.organization.zone
    warnings = booking_warnings(
        provider=appointment.provider, starts_at=appointment.starts_at, ends_at=appointment.ends_at, zone=zone
    )
    if any(warning.code not in override_warnings for warning in warnings):
        raise BookingNeedsConfirmation(warnings)
    return warnings


def _busy_warnings(appointment: Appointment) -> list[str]:
    """Refuses (SlotConflict) a time the provider is busy in a busy calendar, or
    returns the warning to show, as the clinic's rule says. A closed appointment
    (cancelled, no-show) blocks nothing, so it is not checked."""
    if not appointment.holds_slot:
        return []
    return availability.warnings(
        provider_id=appointment.provider_id, starts_at=appointment.starts_at, ends_at=appointment.ends_at
    )


def _recorded_at(at: dt.datetime | None, *, not_before: dt.datetime | None = None) -> dt.datetime:
    """When a change is recorded: now, or `at` if given (see the module's docstring)."""
    now = timezone.now()
    if at is None:
        return now
    _require_aware(at=at)
    if at > now:
        raise ValueError(f"at={at.isoformat()} is in the future; a change is recorded when it happened.")
    if not_before is not None and at < not_before:
        raise ValueError(
            f"at={at.isoformat()} is before the appointment's last change ({not_before.isoformat()}); "
            "its history must stay in order."
        )
    return at


def _require_aware(**values: dt.datetime | None) -> None:
    for name, value in values.items():
        if value is not None and timezone.is_naive(value):
            raise ValueError(f"{name} must be timezone-aware (use clinic.core.timezones.localize).")


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
    timezone: str = "",  # the field's name (the module is `current_time` here)
) -> Patient:
    """Register a patient. The phone is normalised to E.164; patients of a clinic may
    share one (a family phone: texts to it reach them all, its opt-out is theirs)."""
    patient = Patient(
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        phone=phone,
        email=email,
        notes=notes,
        sms_consent=sms_consent,
        sms_consent_changed_at=current_time(),
        timezone=timezone,
    )
    patient.claim_for_current_org()
    patient.full_clean()
    patient.save(force_insert=True)
    record(Action.CREATE, obj=patient, changed_fields=[name for name in PATIENT_FIELDS if getattr(patient, name)])
    consented = patient.sms_consent == Patient.SmsConsent.OPTED_IN
    signals.sms_consent_changed.send(
        sender=Patient, patient=patient, consented=consented, source=None, note="At registration."
    )
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, **fields) -> Patient:
    """Change a patient's details; SMS consent changes through patient_set_sms_consent()."""
    _refuse_unknown("patient_update", fields, PATIENT_FIELDS)
    patient.refresh_from_db(from_queryset=Patient.objects.select_for_update())
    if patient.erased_at is not None:
        raise ValidationError("This patient's personal data was erased; register them again.", code="erased")
    before = {name: getattr(patient, name) for name in fields}
    for name, value in fields.items():
        setattr(patient, name, value)
    patient.full_clean()
    patient.save()
    # The names of what changed (after normalising, say, the phone), never the values.
    changed = [name for name in fields if getattr(patient, name) != before[name]]
    if changed:
        record(Action.UPDATE, obj=patient, changed_fields=changed)
        signals.patient_changed.send(sender=Patient, patient=patient, changed_fields=tuple(changed))
    return patient


@transaction.atomic
def patient_set_sms_consent(*, patient: Patient, opted_in: bool, source: str | None = None, note: str = "") -> Patient:
    """Record an opt-in or opt-out and when it happened, with a consent record (written
    by messaging's receiver of sms_consent_changed): the one path for every change of a
    patient's consent.
    `source` (a ConsentSource) defaults to who is acting. Saying the same twice keeps
    the original time and writes no record."""
    patient.refresh_from_db(from_queryset=Patient.objects.select_for_update())
    consent = Patient.SmsConsent.OPTED_IN if opted_in else Patient.SmsConsent.OPTED_OUT
    if patient.sms_consent != consent:
        patient.sms_consent = consent
        patient.sms_consent_changed_at = timezone.now()
        patient.save(update_fields=["sms_consent", "sms_consent_changed_at", "updated_at"])
        record(Action.UPDATE, obj=patient, changed_fields=["sms_consent"])
        signals.sms_consent_changed.send(sender=Patient, patient=patient, consented=opted_in, source=source, note=note)
    return patient


# --- Providers, working hours, appointment types ----------------------------------


@transaction.atomic
def provider_create(*, name: str, title: str = "", specialty: str = "", active: bool = True) -> Provider:
    provider = Provider(name=name, title=title, specialty=specialty, active=active)
    provider.claim_for_current_org()
    provider.full_clean()
    provider.save(force_insert=True)
    return provider


@transaction.atomic
def provider_update(*, provider: Provider, **fields) -> Provider:
    """Change a provider's name, title or specialty; `active` goes on to provider_set_active()."""
    _refuse_unknown("provider_update", fields, PROVIDER_FIELDS)
    active = fields.pop("active", None)
    provider.refresh_from_db(from_queryset=Provider.objects.select_for_update())
    for name, value in fields.items():
        setattr(provider, name, value)
    provider.full_clean()
    provider.save()
    if active is not None:
        provider_set_active(provider=provider, active=active)
    return provider


@transaction.atomic
def provider_set_active(*, provider: Provider, active: bool) -> Provider:
    """An inactive provider keeps the appointments they have but cannot be booked again
    (Appointment.clean), until made active again."""
    provider.refresh_from_db(from_queryset=Provider.objects.select_for_update())
    if provider.active != active:
        provider.active = active
        provider.save(update_fields=["active"])
    return provider


@transaction.atomic
def working_hours_set(*, provider: Provider, hours: Mapping[int, tuple[dt.time, dt.time]]) -> list[WorkingHours]:
    """Set a provider's whole week: `hours` maps each working weekday (0 = Monday) to
    (starts, ends) in the clinic's local time; a weekday it leaves out is a day off."""
    # Lock the provider: two people saving the same week one after the other, not interleaved.
    Provider.objects.select_for_update().get(pk=provider.pk)
    current = {row.weekday: row for row in WorkingHours.objects.filter(provider=provider)}
    WorkingHours.objects.filter(provider=provider).exclude(weekday__in=list(hours)).delete()
    rows = []
    for weekday, (starts, ends) in sorted(hours.items()):
        row = current.get(weekday)
        if row is None:
            row = WorkingHours(provider=provider, weekday=weekday)
            row.claim_for_current_org()
        elif (row.starts, row.ends) == (starts, ends):
            rows.append(row)
            continue
        row.starts, row.ends = starts, ends
        row.full_clean()
        row.save()
        rows.append(row)
    return rows


@transaction.atomic
def appointment_type_create(
    *, name: str, default_duration: int, colour: str = "#3b82f6", active: bool = True
) -> AppointmentType:
    kind = AppointmentType(name=name, default_duration=default_duration, colour=colour, active=active)
    kind.claim_for_current_org()
    kind.full_clean()  # names a taken name, as the unique constraint would not
    kind.save(force_insert=True)
    return kind


@transaction.atomic
def appointment_type_update(*, appointment_type: AppointmentType, **fields) -> AppointmentType:
    """Change a type's name, usual length, colour or whether it can be booked; the
    appointments already booked keep their times."""
    _refuse_unknown("appointment_type_update", fields, APPOINTMENT_TYPE_FIELDS)
    appointment_type.refresh_from_db(from_queryset=AppointmentType.objects.select_for_update())
    for name, value in fields.items():
        setattr(appointment_type, name, value)
    appointment_type.full_clean()
    appointment_type.save()
    return appointment_type


@transaction.atomic
def clinic_set_locale(*, locale: str) -> Organization:
    """The current clinic's locale: the order in which its pages read and show dates
    (Organization.locale). Recorded in the clinic's audit trail when it changes."""
    clinic = Organization.objects.select_for_update().get(pk=current_org_id())
    try:
        validate_locale(locale)
    except ValidationError as exc:
        raise ValidationError({"locale": exc.messages}) from None
    if clinic.locale != locale:
        clinic.locale = locale
        clinic.save(update_fields=["locale"])
        record(Action.UPDATE, obj=clinic, changed_fields=["locale"])
    return clinic


def _refuse_unknown(function: str, fields: Mapping[str, object], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"{function}() cannot change {', '.join(sorted(unknown))}.")
