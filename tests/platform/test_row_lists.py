"""A list read as a column of its parent's read is the same list, field for field and
with the same related records, as the list read on its own; and it stays in its clinic."""

from __future__ import annotations

import datetime as dt

from django.db.models import Model

from clinic.appointments.models import Patient
from clinic.messaging.selectors import PATIENT_TEXTS_SHOWN, patient_messages, with_latest_texts
from tenancy.context import tenant_context
from tests.support import factories

RELATED = ("appointment", "sent_by", "handled_by")


def values(record: Model) -> dict:
    return {field.attname: getattr(record, field.attname) for field in record._meta.concrete_fields}


def test_a_patients_latest_texts_read_with_the_patient_are_the_texts_read_on_their_own(org_a, owner_a):
    with tenant_context(org=org_a, user=owner_a):
        visit = factories.appointment()
        patient = visit.patient
        handled = dt.datetime(2030, 1, 7, 9, 30, 15, 123456, tzinfo=dt.UTC)
        factories.sms_message(patient=patient, appointment=visit, sent_by=owner_a, body="Line 1\nLine 2")
        factories.sms_message(
            patient=patient,
            direction="in",
            kind="inbound",
            status="received",
            needs_attention=True,
            handled_at=handled,
            handled_by=owner_a,
        )
        for _ in range(PATIENT_TEXTS_SHOWN):
            factories.sms_message(patient=patient)
        factories.sms_message(patient=factories.patient(), body="another patient's")

        on_their_own = patient_messages(Patient.objects.get(pk=patient.pk))
        folded = patient_messages(with_latest_texts(Patient.objects.all()).get(pk=patient.pk))

    assert len(folded) == PATIENT_TEXTS_SHOWN
    assert [values(text) for text in folded] == [values(text) for text in on_their_own]
    for name in RELATED:
        theirs = [getattr(text, name) for text in on_their_own]
        assert [getattr(text, name) for text in folded] == theirs
        assert [values(r) if r else None for r in (getattr(t, name) for t in folded)] == [
            values(r) if r else None for r in theirs
        ]
    assert all(not text._state.adding for text in folded)


def test_a_patients_texts_read_with_the_patient_include_the_oldest_when_few(org_a, owner_a):
    with tenant_context(org=org_a, user=owner_a):
        visit = factories.appointment()
        factories.sms_message(patient=visit.patient, appointment=visit, sent_by=owner_a)
        factories.sms_message(patient=visit.patient, direction="in", kind="inbound", status="received")
        texts = patient_messages(with_latest_texts(Patient.objects.all()).get(pk=visit.patient_id))
        none = patient_messages(with_latest_texts(Patient.objects.all()).get(pk=factories.patient().pk))

    assert [(t.direction, t.appointment, t.sent_by) for t in texts] == [("in", None, None), ("out", visit, owner_a)]
    assert none == []


def test_an_appointments_moves_changes_and_requests_read_with_it_are_those_read_on_their_own(org_a, owner_a):
    from django.db.models import OuterRef

    from clinic.appointments.models import Appointment, AppointmentMove, AppointmentStatusChange
    from clinic.appointments.services import appointment_set_status, appointment_update
    from clinic.core.row_lists import records_from, rows_of
    from clinic.messaging.models import ConfirmationRequest

    with tenant_context(org=org_a, user=owner_a):
        visit = factories.appointment()
        other = factories.provider(name="Dr Other")
        appointment_update(appointment=visit, changed_by=owner_a, provider=other)
        appointment_set_status(appointment=visit, status="confirmed", changed_by=None)
        text = factories.sms_message(patient=visit.patient, appointment=visit)
        factories.confirmation_request(appointment=visit, message=text)
        factories.confirmation_request(appointment=visit, lead_minutes=None)
        of_it = {"appointment": OuterRef("pk")}
        read = Appointment.objects.annotate(
            move_rows=rows_of(AppointmentMove.objects.filter(**of_it), "changed_by", "from_provider", "to_provider"),
            change_rows=rows_of(AppointmentStatusChange.objects.filter(**of_it).order_by("changed_at"), "changed_by"),
            request_rows=rows_of(
                ConfirmationRequest.objects.filter(**of_it).order_by("due_at", "created_at"), "message"
            ),
        ).get(pk=visit.pk)
        lists = [
            (AppointmentMove, read.move_rows, ("changed_by", "from_provider", "to_provider"), visit.moves.all()),
            (AppointmentStatusChange, read.change_rows, ("changed_by",), visit.status_changes.order_by("changed_at")),
            (ConfirmationRequest, read.request_rows, ("message",), visit.sms_requests.order_by("due_at")),
        ]
        for model, rows, related, own in lists:
            folded, on_their_own = records_from(model, rows, *related), list(own)
            assert folded and [values(r) for r in folded] == [values(r) for r in on_their_own]
            for name in related:
                assert [getattr(r, name) for r in folded] == [getattr(r, name) for r in on_their_own]


def test_an_appointments_edit_form_read_with_its_choices_shows_the_same_choices(org_a, owner_a):
    from clinic.appointments.forms import AppointmentForm, with_choices
    from clinic.appointments.models import Appointment, AppointmentType, Provider

    with tenant_context(org=org_a, user=owner_a):
        retired = factories.provider(name="Dr Retired")
        visit = factories.appointment(provider=retired)
        factories.provider(name="Dr Active")
        factories.provider(name="Dr Gone", active=False)
        factories.appointment_type(name="Old type", active=False)
        Provider.objects.filter(pk=retired.pk).update(active=False)
        AppointmentType.objects.filter(pk=visit.appointment_type_id).update(active=False)
        forms = [
            AppointmentForm(zone=org_a.zone, instance=read.get(pk=visit.pk))
            for read in (Appointment.objects.with_related(), with_choices(Appointment.objects.with_related()))
        ]
        shown = [(str(form["provider"]), str(form["appointment_type"])) for form in forms]

    assert shown[0] == shown[1]
    assert "Dr Retired" in shown[1][0] and "Dr Active" in shown[1][0] and "Dr Gone" not in shown[1][0]
    assert "Old type" not in shown[1][1] and "selected" in shown[1][1]


def test_the_calendar_pages_one_read_is_its_settings_providers_and_feeds(org_a, owner_a):
    from django.utils import timezone

    from clinic.appointments.models import Provider
    from clinic.calendars.models import CalendarFeed
    from clinic.calendars.views.pages import _page_reads
    from tenancy.models import Membership

    with tenant_context(org=org_a, user=owner_a):
        membership = Membership.objects.get(user=owner_a)
        assert _page_reads(membership)[0].busy_conflicts  # no stored settings: the defaults
        provider = factories.provider(name="Dr Feeds")
        factories.provider(name="Dr Away", active=False)
        factories.calendar_feed(provider=provider, created_by=owner_a)
        factories.calendar_feed(provider=None, created_by=None, revoked_at=timezone.now())
        factories.calendar_settings(allow_patient_details=True, busy_conflicts="warn")
        clinic_settings, providers, feeds = _page_reads(membership)
        own_feeds = list(
            CalendarFeed.objects.select_related("provider", "created_by").order_by("revoked_at", "-created_at")
        )
        own_providers = list(Provider.objects.filter(active=True).order_by("name"))

    assert (clinic_settings.allow_patient_details, clinic_settings.busy_conflicts) == (True, "warn")
    assert [values(p) for p in providers] == [values(p) for p in own_providers]
    assert [values(f) for f in feeds] == [values(f) for f in own_feeds]
    assert [(f.provider, f.created_by, f.scope_label) for f in feeds] == [
        (f.provider, f.created_by, f.scope_label) for f in own_feeds
    ]


def test_a_list_read_with_its_record_holds_no_other_clinics_rows(org_a, org_b, owner_a, owner_b):
    from clinic.calendars.views.pages import _page_reads
    from tenancy.models import Membership

    with tenant_context(org=org_b, user=owner_b):
        factories.provider(name="Dr Elsewhere")
        factories.calendar_feed(provider=None, created_by=owner_b)
    with tenant_context(org=org_a, user=owner_a):
        factories.provider(name="Dr Here")
        factories.calendar_feed(provider=None, created_by=owner_a)
        _, providers, feeds = _page_reads(Membership.objects.get(user=owner_a))

    assert [provider.name for provider in providers] == ["Dr Here"]
    assert [feed.created_by for feed in feeds] == [owner_a]
