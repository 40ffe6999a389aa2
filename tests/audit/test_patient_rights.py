"""Export and erasure of one patient's data: owners and admins only, audited with
the patient's id; the export holds all and only that patient's data; after erasure
no text column of any table holds their name, phone or email."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection

from clinic.appointments.models import Appointment, Patient
from clinic.appointments.services import appointment_update, patient_set_sms_consent
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.audit import events
from tests.support.people import login

pytestmark = pytest.mark.django_db
NAME, SURNAME, PHONE, EMAIL = "Zelda", "Quixotic", "+14155557777", "zelda.q@example.org"


@pytest.fixture
def zelda(org_a, people_a):
    with tenant_context(org=org_a):
        patient = factories.patient(first_name=NAME, last_name=SURNAME, phone=PHONE, email=EMAIL, notes="Zelda's notes")
        visit = factories.appointment(patient=patient, provider=people_a.ada, notes=f"{NAME} {SURNAME} called")
        factories.sms_message(patient=patient, appointment=visit, to_number=PHONE, body=f"Hi {NAME}, see you")
        factories.sms_message(
            direction="in",
            kind="inbound",
            from_number=PHONE,
            to_number="+12025550100",
            body=f"This is {NAME} {SURNAME}",
            status="received",
        )
        patient_set_sms_consent(patient=patient, opted_in=False)
        # An integrator's endpoint keeps an event whose appointment notes name her.
        factories.webhook_endpoint(event_types=["appointment.updated"])
        appointment_update(appointment=visit, changed_by=None, notes=f"{NAME} {SURNAME} called twice")
        # Someone else's data in the same clinic, which the export must leave out.
        factories.appointment(patient=people_a.john, provider=people_a.grace, notes="John's visit")
        factories.sms_message(patient=people_a.john, body="Hi John")
    return patient, visit


@pytest.fixture
def owner_client(client, owner_a, org_a):
    login(client, owner_a, org_a)
    return client


def test_staff_may_neither_export_nor_erase(client, staff_a, org_a, zelda):
    login(client, staff_a, org_a)
    assert client.get(f"/patients/{zelda[0].pk}/export/").status_code == 404
    assert client.post(f"/patients/{zelda[0].pk}/erase/").status_code == 404


def test_another_clinics_patient_is_a_404(owner_client, org_a, org_b, people_b):
    assert owner_client.get(f"/patients/{people_b.jane.pk}/export/?format=json").status_code == 404
    assert owner_client.post(f"/patients/{people_b.jane.pk}/erase/").status_code == 404
    assert [e.action for e in events(org_a, object_id=people_b.jane.pk)] == ["view_denied", "view_denied"]
    with tenant_context(org=org_b):
        assert Patient.objects.get(pk=people_b.jane.pk).first_name == "OtherJane"


def test_the_export_holds_all_and_only_the_patients_data(owner_client, owner_a, org_a, zelda, people_a):
    patient, visit = zelda
    owner_client.get(f"/patients/{patient.pk}/")  # a view, which the export lists
    response = owner_client.get(f"/patients/{patient.pk}/export/?format=json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["profile"]["email"] == EMAIL and data["profile"]["notes"] == "Zelda's notes"
    assert [a["id"] for a in data["appointments"]] == [str(visit.pk)]
    assert data["appointments"][0]["status_history"] == []  # made by the factory, not booked
    assert sorted(m["body"] for m in data["messages"]) == [f"Hi {NAME}, see you", f"This is {NAME} {SURNAME}"]
    assert data["consent_history"][-1]["current"] == "opted_out"
    assert any(e["action"] == "view" for e in data["audit_events"])
    text = response.content.decode()
    assert "John" not in text and str(people_a.john.pk) not in text
    [export] = events(org_a, action="export")
    assert (export.patient_id, export.actor_user_id, export.changed_fields) == (patient.pk, owner_a.pk, ["json"])
    html = owner_client.get(f"/patients/{patient.pk}/export/")
    assert html.status_code == 200 and f"This is {NAME} {SURNAME}" in html.content.decode()


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = current_schema()
                 AND data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY')
               ORDER BY 1, 2"""
        )
        return cursor.fetchall()


def holding(value: str) -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table, column in text_columns():
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s', [f"%{value}%"])  # noqa: S608
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def test_erasure_leaves_no_name_phone_or_email_in_any_text_column(owner_client, owner_a, org_a, zelda):
    patient, visit = zelda
    with tenant_context(org=org_a):
        assert "appointments_patient.first_name" in holding(NAME)
    response = owner_client.post(f"/patients/{patient.pk}/erase/")
    assert response.status_code == 302
    with tenant_context(org=org_a):
        for value in (NAME, SURNAME, PHONE, PHONE.removeprefix("+1"), EMAIL):
            assert holding(value) == [], value
        kept = Appointment.objects.get(pk=visit.pk)
        assert (kept.patient_id, kept.status, kept.notes) == (patient.pk, "scheduled", "")
        erased = Patient.objects.get(pk=patient.pk)
        assert erased.date_of_birth is None and erased.email == "" and erased.erased_at is not None
    [erase] = events(org_a, action="erase")
    assert (erase.object_id, erase.patient_id, erase.actor_user_id) == (patient.pk, patient.pk, owner_a.pk)
    assert erase.changed_fields == [] and NAME not in str(vars(erase))
    # The patient's page still opens, and says what happened.
    assert "Personal data erased" in owner_client.get(f"/patients/{patient.pk}/").content.decode()
    assert owner_client.post(f"/patients/{patient.pk}/erase/").status_code == 404


def test_an_erased_patient_can_not_be_edited_back(org_a, zelda):
    from django.core.exceptions import ValidationError

    from clinic.appointments.services import patient_update
    from clinic.data_rights.services import patient_erase

    with tenant_context(org=org_a):
        erased = patient_erase(patient=zelda[0])
        with pytest.raises(ValidationError, match="erased"):
            patient_update(patient=erased, first_name="Zelda", date_of_birth=dt.date(1990, 1, 1))


def test_a_family_phones_other_patient_keeps_their_texts(owner_client, org_a, zelda):
    """Erasing one patient of a shared number leaves the texts linked to the other."""
    patient, _ = zelda
    with tenant_context(org=org_a):
        son = factories.patient(first_name="Zeke", last_name=SURNAME, phone=PHONE)
        factories.sms_message(patient=son, to_number=PHONE, body="Hi Zeke, see you")
    export = owner_client.get(f"/patients/{patient.pk}/export/?format=json")
    assert export.status_code == 200
    texts = json.dumps(json.loads(export.content))
    assert "Hi Zelda" in texts and "Hi Zeke" not in texts
    assert owner_client.post(f"/patients/{patient.pk}/erase/").status_code == 302
    with tenant_context(org=org_a):
        from clinic.messaging.models import SmsMessage

        assert SmsMessage.objects.get(patient=son).body == "Hi Zeke, see you"
        assert not SmsMessage.objects.filter(body__contains=NAME).exists()
