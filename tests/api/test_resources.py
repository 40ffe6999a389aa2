"""/api/v1/patients/, providers/ and appointment-types/: list, retrieve, create, update;
no deleting."""

from __future__ import annotations

import pytest

from clinic.appointments.models import Patient
from tenancy.context import tenant_context

NEW_PATIENT = {"first_name": "Ana", "last_name": "Müller", "date_of_birth": "1975-03-02", "phone": "030 1234567"}


def test_registering_a_patient_normalises_the_phone_in_the_clinics_country(api_a, org_a):
    response = api_a.post("patients/", NEW_PATIENT)
    assert response.status_code == 201, response.json()
    patient = response.json()
    assert patient["phone"] == "+49301234567"  # clinic A is in Europe/Berlin
    assert patient["sms_consent"] == "opted_in"
    assert api_a.get(f"patients/{patient['id']}/").json() == patient


def test_a_second_patient_may_have_the_same_phone(api_a, people_a):
    """A family phone; clinic B's patient with the number stays clinic B's."""
    response = api_a.post("patients/", {**NEW_PATIENT, "phone": people_a.jane.phone})
    assert response.status_code == 201, response.json()
    assert response.json()["phone"] == people_a.jane.phone
    with tenant_context(org=people_a.org):
        assert Patient.objects.filter(phone=people_a.jane.phone).count() == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**NEW_PATIENT, "date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({**NEW_PATIENT, "date_of_birth": "1899-12-31"}, "date_of_birth"),
        ({**NEW_PATIENT, "phone": "12"}, "phone"),
        ({**NEW_PATIENT, "email": "nope"}, "email"),
        ({**NEW_PATIENT, "first_name": ""}, "first_name"),
        ({**NEW_PATIENT, "first_name": "a\x00b"}, "first_name"),
        ({**NEW_PATIENT, "nickname": "Ana"}, "nickname"),
    ],
)
def test_patient_validation_errors_name_the_field(api_a, org_a, data, field):
    response = api_a.post("patients/", data)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    with tenant_context(org=org_a):
        assert not Patient.objects.exists()


def test_a_birth_date_before_1900_is_refused_with_a_message(api_a, people_a):
    response = api_a.patch(f"patients/{people_a.jane.pk}/", {"date_of_birth": "1850-06-01"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["date_of_birth"] == ["The date of birth is before 1900: check the year."]


def test_a_patient_update_changes_only_what_is_sent(api_a, people_a):
    response = api_a.patch(f"patients/{people_a.jane.pk}/", {"email": "jane@example.org"})
    assert response.status_code == 200
    assert response.json()["email"] == "jane@example.org"
    assert response.json()["first_name"] == "Jane"


def test_sms_consent_is_not_patched_but_changed_through_its_own_actions(api_a, people_a):
    response = api_a.patch(f"patients/{people_a.jane.pk}/", {"sms_consent": "opted_out"})
    assert response.status_code == 400
    assert "sms-opt-out" in response.json()["error"]["fields"]["sms_consent"][0]


def test_patients_are_never_deleted(api_a, people_a):
    assert api_a.request("DELETE", f"patients/{people_a.jane.pk}/").status_code == 405
    assert api_a.request("PUT", f"patients/{people_a.jane.pk}/", NEW_PATIENT).status_code == 405


def test_providers(api_a, people_a):
    names = [row["display_name"] for row in api_a.get("providers/").json()["results"]]
    assert names == ["Dr Ada Lovelace", "Dr Grace Hopper"]
    created = api_a.post("providers/", {"title": "Dr", "name": "Mary Seacole", "specialty": "Nursing"})
    assert created.status_code == 201 and created.json()["active"] is True
    changed = api_a.patch(f"providers/{created.json()['id']}/", {"active": False})
    assert changed.json()["active"] is False
    assert api_a.post("providers/", {"title": "Dr"}).json()["error"]["fields"] == {"name": ["This field is required."]}


def test_appointment_types(api_a, people_a):
    created = api_a.post("appointment-types/", {"name": "Long visit", "default_duration": 60, "colour": "#AABBCC"})
    assert created.status_code == 201
    assert created.json()["colour"] == "#aabbcc"
    assert api_a.get(f"appointment-types/{created.json()['id']}/").json()["default_duration"] == 60
    too_long = api_a.patch(f"appointment-types/{created.json()['id']}/", {"default_duration": 999})
    assert "default_duration" in too_long.json()["error"]["fields"]
    taken = api_a.post("appointment-types/", {"name": "Check-up", "default_duration": 30})
    assert taken.status_code == 400
    assert "already has an appointment type" in taken.json()["error"]["message"]


def test_malformed_json_is_a_parse_error(api_a):
    response = api_a.client.post(
        "/api/v1/patients/", "{not json", content_type="application/json", headers=api_a.headers
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_only_json_is_accepted(api_a):
    response = api_a.client.post("/api/v1/patients/", NEW_PATIENT, headers=api_a.headers)  # form-encoded
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_unknown_api_urls_answer_json_404(api_a):
    for path in ("/api/v1/invoices/", "/api/v1/patients/not-a-uuid/", "/api/v2/"):
        response = api_a.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
