"""The clinic comes only from the API key: another clinic's ids answer 404, lists never
show its rows, a clinic named in the query, a header or a body changes nothing or is
refused, and nothing is created in or linked to another clinic."""

from __future__ import annotations

import pytest

from clinic.appointments.models import Appointment, Patient
from tenancy.context import tenant_context
from tests.support import factories, isolation


@pytest.fixture
def appointment_b(people_b):
    with tenant_context(org=people_b.org):
        return factories.appointment(patient=people_b.jane, provider=people_b.ada, appointment_type=people_b.checkup)


def detail_urls(people_b, appointment_b) -> list[str]:
    return [
        f"patients/{people_b.jane.pk}/",
        f"providers/{people_b.ada.pk}/",
        f"appointment-types/{people_b.checkup.pk}/",
        f"appointments/{appointment_b.pk}/",
    ]


def test_another_clinics_ids_answer_404(api_a, people_a, people_b, appointment_b):
    for url in detail_urls(people_b, appointment_b):
        assert api_a.get(url).status_code == 404, url
        response = api_a.patch(url, {"notes": "mine now"} if "patients" in url or "appointments/" in url else {})
        assert response.status_code == 404, url
        assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}
    for step in ("confirm", "cancel", "arrived", "completed", "no-show"):
        assert api_a.post(f"appointments/{appointment_b.pk}/{step}/").status_code == 404
    with tenant_context(org=people_b.org):
        assert Appointment.objects.get().status == "scheduled"


@pytest.mark.parametrize("resource", ["patients", "providers", "appointment-types", "appointments"])
def test_lists_never_show_another_clinics_rows(api_a, api_b, people_a, people_b, appointment_b, resource):
    isolation.api_lists_never_show_another_clinics_rows(api_a, api_b, people_a, people_b, resource)


def test_me_ignores_a_clinic_named_in_the_query_or_headers(api_a, org_a, org_b):
    response = api_a.get("me/", {"organization_id": str(org_b.id)}, **{"X-Organization": str(org_b.id)})
    assert response.json()["clinic"]["id"] == str(org_a.id)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"organization": "b"}, "organization"),
        ({"organization_id": "b"}, "organization_id"),
        ({"notes": "x", "meta": {"organization_id": "b"}}, "meta.organization_id"),
        ({"items": [{"ok": 1}, {"organization": "b"}]}, "items.1.organization"),
    ],
)
def test_a_clinic_named_in_a_body_is_refused(api_a, people_a, org_b, body, path):
    data = {"first_name": "Eve", "last_name": "Smith", "date_of_birth": "1990-01-01", "phone": "+14155550666", **body}
    for url, method in (("patients/", "post"), (f"patients/{people_a.jane.pk}/", "patch")):
        response = getattr(api_a, method)(url, {**data, **body})
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "organization_not_allowed"
        assert path in error["fields"] and "API key" in error["message"]
    with tenant_context(org=people_a.org):
        assert not Patient.objects.filter(first_name="Eve").exists()
        assert Patient.objects.get(pk=people_a.jane.pk).first_name == "Jane"


@pytest.mark.parametrize("field", ["patient", "provider", "appointment_type"])
def test_booking_with_another_clinics_rows_creates_nothing(api_a, people_a, people_b, field):
    data = {
        "patient": str(people_a.jane.pk),
        "provider": str(people_a.ada.pk),
        "appointment_type": str(people_a.checkup.pk),
        "starts_at": "2030-01-07T09:00:00+01:00",
    }
    theirs = {"patient": people_b.jane, "provider": people_b.ada, "appointment_type": people_b.checkup}[field]
    response = api_a.post("appointments/", {**data, field: str(theirs.pk)})
    assert response.status_code == 400
    assert response.json()["error"]["fields"][field] == [f"No such {field.replace('_', ' ')} in this clinic."]
    for org in (people_a.org, people_b.org):
        with tenant_context(org=org):
            assert not Appointment.objects.exists()


def test_moving_an_appointment_to_another_clinics_patient_is_refused(api_a, people_a, people_b):
    with tenant_context(org=people_a.org):
        mine = factories.appointment(patient=people_a.jane, provider=people_a.ada, appointment_type=people_a.checkup)
    response = api_a.patch(f"appointments/{mine.pk}/", {"patient": str(people_b.jane.pk)})
    assert response.status_code == 400
    with tenant_context(org=people_a.org):
        assert Appointment.objects.get().patient_id == people_a.jane.pk
