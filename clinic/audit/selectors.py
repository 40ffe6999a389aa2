"""Reading the audit trail: the events of the current clinic matching the page's
filters (by user, patient, action and date), newest first.

A patient is picked by name (`patient_name`, matched as the patient search does) or,
from a link on the patient's page, by id (`patient`)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet

from clinic.appointments.models import Patient
from clinic.audit.actions import action_choices
from clinic.audit.models import AuditEvent
from clinic.core.dates import LocalDateField
from tenancy.models import Membership


def _action_choices() -> list[tuple[str, str]]:
    return [("", "Any action"), *action_choices()]


class AuditFilterForm(forms.Form):
    user = forms.ChoiceField(required=False, label="User")
    patient_name = forms.CharField(required=False, label="Patient", max_length=100)
    # Set by the patient page's link, and kept by the form as it is changed.
    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)
    action = forms.ChoiceField(required=False, choices=_action_choices)
    date_from = LocalDateField(required=False, label="From")
    date_to = LocalDateField(required=False, label="To")

    def __init__(self, *args, members: list[Membership], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", "Anyone"), *((str(m.user_id), str(m.user)) for m in members)]


def clinic_members(*, using: str = DEFAULT_DB_ALIAS) -> list[Membership]:
    members = Membership.objects.using(using).select_related("user")
    return list(members.order_by("user__last_name", "user__username"))


def filtered_events(filters: dict, zone) -> QuerySet[AuditEvent]:
    """`filters`: the form's cleaned data; dates are whole days in the clinic's zone."""
    events = AuditEvent.objects.all()
    if filters.get("user"):
        events = events.filter(actor_user_id=filters["user"])
    if filters.get("patient"):
        events = events.filter(patient_id=filters["patient"])
    if filters.get("patient_name"):
        events = events.filter(patient_id__in=patients_named(filters["patient_name"]).values("pk"))
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    if filters.get("date_from"):
        events = events.filter(at__gte=_start_of(filters["date_from"], zone))
    if filters.get("date_to"):
        events = events.filter(at__lt=_start_of(filters["date_to"] + dt.timedelta(days=1), zone))
    return events.order_by("-at", "-id")


def patients_named(name: str) -> QuerySet[Patient]:
    """The clinic's patients a name search finds; an erased patient has no name left."""
    return Patient.objects.search(name).filter(erased_at__isnull=True)


def _start_of(day: dt.date, zone) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone)
