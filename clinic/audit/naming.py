"""Audit events named as a person reads them: "Appointment · Ethan Johnson · Mon 7 Dec
09:30", "Text to Olivia Martinez", "Sign-in", and the member's name for who did it.

An event stores only types and ids (it outlives what it names), so names are looked up
when a page is shown: one query per kind of record on the page, never one per event,
all in the current clinic's tenant context. The names most events need, their
patient's and an appointment's, can come with the events' own read (`with_names`):
subqueries of it, so they cost no query of their own. A record that is gone still
reads as what it was ("Patient (deleted)"), and an erased patient's placeholder name
is never shown."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from django.apps import apps
from django.db.models import Case, OuterRef, QuerySet, Subquery, When
from django.utils import timezone
from django.utils.formats import date_format

from clinic.api.models import ApiKey, WebhookEndpoint
from clinic.appointments.models import Appointment, AppointmentType, Patient, Provider
from clinic.audit.models import AuditEvent
from clinic.calendars.models import BusyCalendar, CalDAVConnection, CalendarFeed
from tenancy.models import Membership

Action = AuditEvent.Action
SIGN_IN_ACTIONS = {Action.LOGIN, Action.LOGIN_FAILED, Action.LOGOUT}
ERASED = "Patient (erased)"
# Records no id can be looked up for: the clinic's settings, the trail itself.
MEMBERSHIP = "tenancy.Membership"
APPOINTMENT = "appointments.Appointment"
# What patient_label() reads of a patient.
PATIENT_NAME_FIELDS = ("first_name", "last_name", "erased_at")
FIXED_NAMES = {
    "audit.AuditEvent": "Audit trail",
    "messaging.Retention": "Old texts and webhook data",
    "messaging.SmsSettings": "Text message settings",
    "accounts.SecuritySettings": "Security settings",
    "calendars.CalendarSettings": "Calendar settings",
}


def name_events(events: Iterable[AuditEvent], clinic, clinic_members: list[Membership] | None = None) -> None:
    """Give each event of a page `record_name`, `actor_name` and `patient_name`.
    `clinic_members`: all of the clinic's memberships with their users, when the page
    has read them already; the members are then named from them."""
    events = list(events)
    read_with = bool(events) and hasattr(events[0], "named_patient_first_name")
    patients = _patients_read_with(events) if read_with else _patient_names(event.patient_id for event in events)
    accounts = (event.object_id for event in events if event.object_type == "accounts.User")
    if clinic_members is None:
        members = _member_names([*(event.actor_user_id for event in events), *accounts])
    else:
        members = {membership.user_id: str(membership.user) for membership in clinic_members}
    keys = _key_names(event.actor_api_key_id for event in events)
    by_type = defaultdict(set)
    for event in events:
        # A refused id is never named (_record_name): nothing to look up.
        if event.object_id and event.object_type in LOADERS and event.action != Action.VIEW_DENIED:
            by_type[event.object_type].add(event.object_id)
    if read_with:
        by_type.pop(APPOINTMENT, None)
    loaded = {kind: LOADERS[kind](ids, clinic, patients) for kind, ids in by_type.items() if kind != MEMBERSHIP}
    if read_with:
        loaded[APPOINTMENT] = _appointments_read_with(events, clinic)
    if MEMBERSHIP in by_type:
        ids = by_type[MEMBERSHIP]
        rows = clinic_members
        if rows is None:
            rows = Membership.objects.filter(pk__in=ids).select_related("user")
        loaded[MEMBERSHIP] = _members(ids, rows)
    for event in events:
        event.patient_name = patients.get(event.patient_id, "Patient (deleted)") if event.patient_id else ""
        event.actor_name = (
            keys.get(event.actor_api_key_id)
            or members.get(event.actor_user_id)
            or event.actor_label
            or event.get_actor_type_display()
        )
        event.record_name = _record_name(event, loaded.get(event.object_type, {}), members, patients, clinic)


def with_names(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """`events` with their patient's name and an appointment's time and patient, as
    subqueries (one row by primary key each): name_events() then reads neither."""
    patient = Patient.objects.filter(pk=OuterRef("patient_id"))
    appointment = Appointment.objects.filter(pk=OuterRef("object_id"))

    def of_appointment(field: str) -> Case:
        return Case(When(object_type=APPOINTMENT, then=Subquery(appointment.values(field))))

    return events.annotate(
        **{f"named_patient_{field}": Subquery(patient.values(field)) for field in PATIENT_NAME_FIELDS},
        named_appointment_starts_at=of_appointment("starts_at"),
        **{f"named_appointment_{field}": of_appointment(f"patient__{field}") for field in PATIENT_NAME_FIELDS},
    )


def patient_label(patient: Patient) -> str:
    return ERASED if patient.erased_at else patient.full_name


def _record_name(event: AuditEvent, names: dict, members: dict, patients: dict, clinic) -> str:
    kind = event.object_type
    if kind == "accounts.User":
        if event.action in SIGN_IN_ACTIONS:
            return "Sign-in"
        return _joined("Account", members.get(event.object_id, ""))
    if kind == "messaging.SmsMessage":
        # Named by the event's patient: a text may be pruned long before its event.
        whom = patients.get(event.patient_id, "") if event.patient_id else ""
        if event.action == Action.SMS_RECEIVED:
            return f"Text from {whom or 'an unknown number'}"
        return f"Text to {whom}" if whom else "Text message"
    if kind == "tenancy.Organization":
        return _joined("Clinic", clinic.name if event.object_id == clinic.pk else "")
    if kind in FIXED_NAMES:
        return FIXED_NAMES[kind]
    noun = _noun(kind)
    if not event.object_id or kind.startswith("page "):
        return noun
    if event.action == Action.VIEW_DENIED:
        return f"{noun} (not in this clinic)"
    return names.get(event.object_id) or f"{noun} (deleted)"


def _noun(kind: str) -> str:
    """What an object type is called: "Busy calendar" for calendars.BusyCalendar;
    a staff page's 404 ("page patients:edit") by the page's section."""
    if kind.startswith("page "):
        return f"Page of {kind.removeprefix('page ').split(':')[0]}"
    try:
        return str(apps.get_model(kind)._meta.verbose_name).capitalize()
    except (LookupError, ValueError):
        return kind or "Record"


def _joined(*parts: str) -> str:
    return " · ".join(part for part in parts if part)


def _patient_names(ids: Iterable) -> dict:
    ids = {pk for pk in ids if pk}
    if not ids:
        return {}
    rows = Patient.objects.filter(pk__in=ids).only("first_name", "last_name", "erased_at")
    return {patient.pk: patient_label(patient) for patient in rows}


def _patients_read_with(events: list[AuditEvent]) -> dict:
    """The patient names with_names() read; a patient it found no row of is gone."""
    return {
        event.patient_id: patient_label(_patient_of(event, "named_patient_"))
        for event in events
        if event.patient_id and event.named_patient_first_name is not None
    }


def _patient_of(event: AuditEvent, prefix: str) -> Patient:
    return Patient(**{field: getattr(event, prefix + field) for field in PATIENT_NAME_FIELDS})


def _member_names(ids: Iterable) -> dict:
    """This clinic's members by user id: their full name, else username. Someone who
    has left the clinic is not looked up; the event's label (their username then) stays."""
    ids = {pk for pk in ids if pk}
    if not ids:
        return {}
    rows = Membership.objects.filter(user_id__in=ids).select_related("user")
    return {membership.user_id: str(membership.user) for membership in rows}


def _key_names(ids: Iterable) -> dict:
    ids = {pk for pk in ids if pk}
    if not ids:
        return {}
    return {key.pk: f"API key “{key.name}” ({key.prefix}…)" for key in ApiKey.objects.filter(pk__in=ids)}


def _appointments(ids, clinic, patients) -> dict:
    rows = (
        Appointment.objects.filter(pk__in=ids)
        .select_related("patient")
        .only("starts_at", "patient__first_name", "patient__last_name", "patient__erased_at")
    )
    return {row.pk: _appointment_name(row.starts_at, row.patient, clinic) for row in rows}


def _appointments_read_with(events: list[AuditEvent], clinic) -> dict:
    return {
        event.object_id: _appointment_name(
            event.named_appointment_starts_at, _patient_of(event, "named_appointment_"), clinic
        )
        for event in events
        if event.object_type == APPOINTMENT and event.named_appointment_starts_at is not None
    }


def _appointment_name(starts_at, patient: Patient, clinic) -> str:
    return _joined(
        "Appointment", patient_label(patient), date_format(timezone.localtime(starts_at, clinic.zone), "D j M H:i")
    )


def _patients(ids, clinic, patients) -> dict:
    missing = set(ids) - set(patients)
    if missing:
        patients = {**patients, **_patient_names(missing)}
    return {pk: name if name == ERASED else _joined("Patient", name) for pk, name in patients.items() if pk in ids}


def _members(ids, rows: Iterable[Membership]) -> dict:
    return {membership.pk: _joined("Member", str(membership.user)) for membership in rows if membership.pk in ids}


def _named(model, label: str, name: Callable, *related: str) -> Callable:
    def load(ids, clinic, patients) -> dict:
        return {row.pk: _joined(label, name(row)) for row in model.objects.filter(pk__in=ids).select_related(*related)}

    return load


LOADERS: dict[str, Callable] = {
    APPOINTMENT: _appointments,
    "appointments.Patient": _patients,
    "appointments.Provider": _named(Provider, "Provider", lambda row: row.display_name),
    "appointments.AppointmentType": _named(AppointmentType, "Appointment type", lambda row: row.name),
    "api.ApiKey": _named(ApiKey, "API key", lambda row: row.name),
    "api.WebhookEndpoint": _named(WebhookEndpoint, "Webhook", lambda row: row.url),
    "calendars.CalendarFeed": _named(CalendarFeed, "Calendar feed", lambda row: row.scope_label, "provider"),
    "calendars.BusyCalendar": _named(BusyCalendar, "Busy calendar", lambda row: row.name),
    "calendars.CalDAVConnection": _named(
        CalDAVConnection, "CalDAV calendar", lambda row: row.provider.display_name, "provider"
    ),
}
