"""A patient's own time zone (for their quiet hours): chosen from the IANA zones on
the patient form, in the API and in the admin, saved through the patient services;
anything else is a field error that stores nothing."""

from __future__ import annotations

import pytest

from clinic.appointments.models import Patient
from tenancy.context import tenant_context
from tests.support.patients import new_patient
from tests.support.people import login

pytestmark = pytest.mark.django_db


def zone_of(org, **lookup) -> str | None:
    with tenant_context(org=org):
        return Patient.objects.filter(**lookup).values_list("timezone", flat=True).first()


def test_it_offers_the_zones_as_one_types_and_saves_the_chosen_one(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    page = client.get("/patients/new/").content.decode()
    assert 'list="id_timezone_zones"' in page
    assert '<option value="America/New_York">America/New_York (Eastern Time)</option>' in page
    assert "data-guess-zone" not in page  # empty means: from the phone number
    response = client.post("/patients/new/", new_patient(timezone="America/Chicago"))
    assert response.status_code == 302
    assert zone_of(org_a, last_name="Okafor") == "America/Chicago"


def test_it_takes_a_city_for_its_zone(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    response = client.post("/patients/new/", new_patient(timezone="Tokyo"))
    assert response.status_code == 302
    assert zone_of(org_a, last_name="Okafor") == "Asia/Tokyo"


def test_it_refuses_a_zone_that_does_not_exist_on_the_form(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    response = client.post("/patients/new/", new_patient(timezone="Mars/Olympus"))
    assert response.status_code == 200
    assert "is not a time zone we know" in response.context["form"].errors["timezone"][0]
    assert zone_of(org_a, last_name="Okafor") is None


def test_it_sets_and_clears_the_zone_through_the_api(api_a, org_a, people_a):
    path = f"patients/{people_a.jane.pk}/"
    response = api_a.patch(path, {"timezone": "Asia/Tokyo"})
    assert response.status_code == 200 and response.json()["timezone"] == "Asia/Tokyo"
    assert api_a.patch(path, {"timezone": ""}).json()["timezone"] == ""
    bad = api_a.patch(path, {"timezone": "Europe/Atlantis"})
    assert bad.status_code == 400 and "timezone" in bad.json()["error"]["fields"]
    assert zone_of(org_a, pk=people_a.jane.pk) == ""


def test_it_cannot_set_another_clinics_patients_zone(api_a, org_b, people_b):
    response = api_a.patch(f"patients/{people_b.jane.pk}/", {"timezone": "Asia/Tokyo"})
    assert response.status_code == 404
    assert zone_of(org_b, pk=people_b.jane.pk) == ""


def test_it_offers_the_zones_in_the_admin(admin_client, people_a):
    page = admin_client.get(f"/admin/appointments/patient/{people_a.jane.pk}/change/").content.decode()
    assert 'name="timezone"' in page and '<option value="Pacific/Honolulu">' in page
