"""The audit page names records, people and patients as a person reads them, looks
them up a query per kind of record (not per event), and finds a patient's events by
their name, which stays out of the URL."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.audit.models import AuditEvent
from clinic.data_rights.services import patient_erase
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.people import login

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


@pytest.fixture
def owner_client(client, owner_a, org_a):
    login(client, owner_a, org_a)
    return client


def rows(response) -> list[AuditEvent]:
    return list(response.context["page"].object_list)


def test_records_read_as_words_not_ids(owner_client, org_a, people_a, staff_a):
    with tenant_context(org=org_a):
        visit = factories.appointment(
            patient=people_a.jane,
            provider=people_a.ada,
            appointment_type=people_a.checkup,
            starts_at=dt.datetime(2026, 12, 7, 8, 30, tzinfo=dt.UTC),  # 09:30 in Berlin
            ends_at=dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC),
        )
        factories.audit_event(object_type="appointments.Appointment", object_id=visit.pk, patient_id=visit.patient_id)
        factories.audit_event(
            action=Action.SMS_SENT,
            object_type="messaging.SmsMessage",
            object_id=uuid.uuid4(),
            patient_id=people_a.john.pk,
        )
        factories.audit_event(object_type="appointments.Provider", object_id=people_a.ada.pk)
        factories.audit_event(object_type="tenancy.Organization", object_id=org_a.pk)
        factories.audit_event(action=Action.TWO_FACTOR_RESET, object_type="accounts.User", object_id=staff_a.pk)
    other = owner_client.__class__()
    login(other, staff_a, org_a)  # a sign-in, recorded in the clinic
    other.get(f"/patients/{people_a.john.pk}/")

    response = owner_client.get("/audit/")
    body = response.content.decode()
    names = {event.record_name for event in rows(response)}
    assert {
        "Appointment · Jane Doe · Mon 7 Dec 09:30",
        "Text to John Roe",
        "Sign-in",
        "Patient · John Roe",
        "Provider · Dr Ada Lovelace",
        "Clinic · Clinic A",
        "Account · Sam Staff",
    } <= names
    assert "appointments.Appointment" not in body and "messaging.SmsMessage" not in body
    assert str(visit.pk)[:8] not in body
    # Who: the member's name, not their id or username.
    viewed = owner_client.get("/audit/", {"action": "view", "user": str(staff_a.pk)})
    assert [event.actor_name for event in rows(viewed)] == ["Sam Staff"]
    assert "sam_staff_a" not in viewed.content.decode()


def test_gone_and_erased_records_still_read_sensibly(owner_client, owner_a, org_a, people_a):
    gone = uuid.uuid4()
    with tenant_context(org=org_a, user=owner_a):
        factories.audit_event(object_type="appointments.Patient", object_id=gone, patient_id=gone)
        factories.audit_event(object_type="appointments.Appointment", object_id=uuid.uuid4())
        factories.audit_event(action=Action.VIEW_DENIED, object_type="appointments.Patient", object_id=uuid.uuid4())
        factories.audit_event(action=Action.SMS_RECEIVED, object_type="messaging.SmsMessage", object_id=uuid.uuid4())
        factories.audit_event(action=Action.VIEW_DENIED, object_type="page patients:edit", object_id=uuid.uuid4())
        patient_erase(patient=people_a.jane)

    response = owner_client.get("/audit/")
    named = [(event.record_name, event.patient_name) for event in rows(response)]
    assert ("Patient (erased)", "Patient (erased)") in named
    assert ("Patient (deleted)", "Patient (deleted)") in named
    assert ("Appointment (deleted)", "") in named
    assert ("Patient (not in this clinic)", "") in named
    assert ("Text from an unknown number", "") in named
    assert ("Page of patients", "") in named
    assert "Erased patient" not in response.content.decode()


def test_a_left_member_is_named_by_the_label_kept_then(owner_client, org_a):
    with tenant_context(org=org_a):
        factories.audit_event(
            object_type="nurse", actor_type="user", actor_user_id=uuid.uuid4(), actor_label="former_nurse"
        )
    [event] = [event for event in rows(owner_client.get("/audit/")) if event.object_type == "nurse"]
    assert event.actor_name == "former_nurse"


def test_a_page_looks_names_up_per_kind_of_record_not_per_event(owner_client, org_a, people_a, staff_a):
    def make_events(count: int) -> None:
        with tenant_context(org=org_a):
            for _ in range(count):
                visit = factories.appointment(patient=people_a.jane, provider=people_a.ada)
                factories.audit_event(
                    object_type="appointments.Appointment", object_id=visit.pk, patient_id=visit.patient_id
                )
                factories.audit_event(
                    object_type="appointments.Patient", object_id=people_a.john.pk, patient_id=people_a.john.pk
                )
                factories.audit_event(actor_type="user", actor_user_id=staff_a.pk, actor_label="x")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get("/audit/").status_code == 200
        return len(captured)

    queries()  # the session's first page records its activity; the next ones do not
    make_events(1)
    few = queries()
    make_events(10)
    assert queries() == few


def test_a_patient_is_found_by_name_and_the_name_stays_out_of_the_url(owner_client, client, org_a, org_b, people_a):
    with tenant_context(org=org_b):
        namesake = factories.patient(first_name="Jane", last_name="Doe")
        factories.audit_event(object_type="appointments.Patient", object_id=namesake.pk, patient_id=namesake.pk)
    owner_client.get(f"/patients/{people_a.jane.pk}/")
    owner_client.get(f"/patients/{people_a.john.pk}/")

    response = owner_client.post("/audit/", {"patient_name": "jane d", "action": "view"})
    assert response.status_code == 303
    location = response["Location"]
    assert location.startswith("/audit/?s=") and "jane" not in location.lower()
    found = owner_client.get(location)
    assert {event.patient_id for event in rows(found)} == {people_a.jane.pk}
    assert "about patients named “jane d”" in found.content.decode()
    # The CSV of the same search: the same events.
    export = owner_client.get(f"{location}&format=csv").content.decode()
    assert str(people_a.jane.pk) in export and str(people_a.john.pk) not in export


def test_a_name_in_the_query_string_is_not_used(owner_client, people_a):
    owner_client.get(f"/patients/{people_a.jane.pk}/")
    owner_client.get(f"/patients/{people_a.john.pk}/")
    response = owner_client.get("/audit/", {"patient_name": "jane", "action": "view"})
    assert {event.patient_id for event in rows(response)} == {people_a.jane.pk, people_a.john.pk}


def test_a_name_matching_nobody_finds_no_events(owner_client, people_a):
    owner_client.get(f"/patients/{people_a.jane.pk}/")
    location = owner_client.post("/audit/", {"patient_name": "Zebedee"})["Location"]
    assert rows(owner_client.get(location)) == []


def test_the_patient_pages_link_still_filters_by_id(owner_client, people_a):
    owner_client.get(f"/patients/{people_a.jane.pk}/")
    owner_client.get(f"/patients/{people_a.john.pk}/")
    response = owner_client.get("/audit/", {"patient": str(people_a.jane.pk)})
    assert {event.patient_id for event in rows(response)} == {people_a.jane.pk}
    body = response.content.decode()
    assert "about Jane Doe" in body
    assert f'type="hidden" name="patient" value="{people_a.jane.pk}"' in body
