"""The patient pages: search and pagination, registering and editing through the
services, one patient's page, and another clinic's patients out of reach."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages

from clinic.appointments.models import Patient
from clinic.appointments.services import appointment_book, patient_set_sms_consent
from clinic.core.timezones import localize
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.patients import new_patient
from tests.support.people import login


@pytest.fixture
def as_staff(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    return client


def patients(org) -> list[Patient]:
    with tenant_context(org=org):
        return list(Patient.objects.order_by("last_name", "first_name"))


def errors(response) -> dict:
    return response.context["form"].errors


# --- the list ---------------------------------------------------------------------------


def test_the_list_shows_the_clinics_patients_with_readable_phones(as_staff, people_a, people_b):
    body = as_staff.get("/patients/").content.decode()
    assert "Doe, Jane" in body and "Roe, John" in body
    assert "OtherJane" not in body
    assert "2 patients" in body
    assert f"+1 415-555-{people_a.jane.phone[-4:]}" in body  # as people read it
    assert people_a.jane.phone not in body


def search(client, query: str, path: str = "/patients/"):
    """Search as the form does: POST the terms, follow the redirect to the results."""
    response = client.post(path, {"q": query})
    assert response.status_code == 303
    return response


def test_search_finds_by_name_and_never_another_clinics_patient(as_staff, people_a, people_b):
    body = as_staff.get(search(as_staff, "jane")["Location"]).content.decode()
    assert "Doe, Jane" in body
    assert "Roe, John" not in body
    assert "OtherJane" not in body  # it matches "jane", but belongs to clinic B
    assert "1 match for “jane”" in body


def test_search_finds_by_phone_digits(as_staff, people_a):
    body = as_staff.get(search(as_staff, people_a.john.phone[-7:])["Location"]).content.decode()
    assert "Roe, John" in body and "Doe, Jane" not in body


def test_a_search_with_no_match_says_so(as_staff, people_a):
    body = as_staff.get(search(as_staff, "zebra")["Location"]).content.decode()
    assert "No patient matches “zebra”." in body


def test_the_list_is_paginated_and_keeps_the_search(as_staff, org_a):
    with tenant_context(org=org_a):
        for n in range(30):
            factories.patient(first_name="Pat", last_name=f"Page {n:02d}")
    results = search(as_staff, "pat")["Location"]
    key = results.split("?s=")[1]
    first = as_staff.get(results).content.decode()
    assert "Page 1 of 2" in first
    assert f'href="?s={key}&amp;page=2"' in first
    second = as_staff.get("/patients/", {"s": key, "page": 2}).content.decode()
    assert "Page 29" in second and "Page 00" not in second
    assert as_staff.get("/patients/", {"page": "999"}).status_code == 200


# --- register and edit ------------------------------------------------------------------


def test_registering_a_patient_normalises_the_phone(as_staff, org_a):
    response = as_staff.post("/patients/new/", new_patient())
    [patient] = patients(org_a)
    assert response["Location"] == f"/patients/{patient.pk}/"
    assert (patient.full_name, patient.phone, patient.sms_consent) == ("Grace Okafor", "+14155550142", "opted_in")
    assert patient.sms_consent_changed_at is not None
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Grace Okafor is registered."]


def test_a_patient_can_be_registered_without_texts(as_staff, org_a):
    data = new_patient()
    del data["sms_opt_in"]
    as_staff.post("/patients/new/", data)
    assert patients(org_a)[0].sms_consent == "opted_out"


def test_a_phone_already_used_in_the_clinic_is_registered_with_a_notice(as_staff, people_a):
    """A family phone is no error, but staff are told whose it is too, so a typo shows."""
    response = as_staff.post("/patients/new/", new_patient(phone=people_a.jane.phone))
    assert response.status_code == 302
    assert len(patients(people_a.org)) == 3
    notices = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert ("warning", "Also the number of Jane Doe: texts to it reach both.") in notices


def test_a_new_number_of_its_own_gives_no_notice(as_staff, people_a):
    response = as_staff.post("/patients/new/", new_patient())
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]


def test_the_same_phone_in_another_clinic_is_another_patient(as_staff, org_a, people_b):
    response = as_staff.post("/patients/new/", new_patient(phone=people_b.jane.phone))
    assert response.status_code == 302
    assert len(patients(org_a)) == 1
    assert len(patients(people_b.org)) == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "call me", "Enter a phone number"),
        ("phone", "+1 555 000", "is not a valid phone number"),
        ("date_of_birth", "2999-01-01", "The date of birth is in the future."),
        ("date_of_birth", "1899-12-31", "The date of birth is before 1900: check the year."),
        ("first_name", "", "This field is required."),
        ("email", "not-an-email", "Enter a valid email address."),
    ],
)
def test_invalid_details_are_form_errors(as_staff, org_a, field, value, message):
    response = as_staff.post("/patients/new/", new_patient(**{field: value}))
    assert response.status_code == 200
    assert message in " ".join(errors(response)[field])
    assert patients(org_a) == []


def test_a_posted_organization_is_ignored(as_staff, org_a, org_b):
    as_staff.post("/patients/new/", {**new_patient(), "organization": org_b.id})
    assert len(patients(org_a)) == 1
    assert patients(org_b) == []


def test_editing_a_patient_goes_through_the_service(as_staff, people_a):
    page = as_staff.get(f"/patients/{people_a.jane.pk}/edit/").content.decode()
    assert 'value="+1 415-555-' in page  # shown readable, stored in E.164
    data = new_patient(first_name="Janet", last_name="Doe", phone="+1 415-555-0199")
    response = as_staff.post(f"/patients/{people_a.jane.pk}/edit/", data)
    assert response["Location"] == f"/patients/{people_a.jane.pk}/"
    with tenant_context(org=people_a.org):
        stored = Patient.objects.get(pk=people_a.jane.pk)
    assert (stored.full_name, stored.phone, stored.search_name) == ("Janet Doe", "+14155550199", "janet doe")


def test_a_refused_edit_is_headed_by_the_stored_name(as_staff, people_a):
    data = new_patient(first_name="Janet", last_name="Doe", date_of_birth="not a date")
    page = as_staff.post(f"/patients/{people_a.jane.pk}/edit/", data).content.decode()
    assert f"<h1>Edit {people_a.jane.full_name}</h1>" in page
    assert "Janet Doe" not in page.split("<form")[0]
    assert 'value="Janet"' in page  # the form keeps what was typed
    assert "read as DE numbers" in page  # the clinic's zone, Europe/Berlin


def test_editing_to_another_patients_phone_saves_with_a_notice(as_staff, people_a):
    data = new_patient(first_name="Jane", last_name="Doe", phone=people_a.john.phone)
    response = as_staff.post(f"/patients/{people_a.jane.pk}/edit/", data)
    assert response.status_code == 302
    with tenant_context(org=people_a.org):
        assert Patient.objects.get(pk=people_a.jane.pk).phone == people_a.john.phone
    notices = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"Also the number of {people_a.john}: texts to it reach both." in notices


def test_the_edit_form_cannot_change_sms_consent(as_staff, people_a):
    with tenant_context(org=people_a.org):
        patient_set_sms_consent(patient=people_a.jane, opted_in=False)
    as_staff.post(f"/patients/{people_a.jane.pk}/edit/", new_patient(sms_opt_in="on", sms_consent="opted_in"))
    assert [p.sms_consent for p in patients(people_a.org) if p.pk == people_a.jane.pk] == ["opted_out"]


# --- one patient -------------------------------------------------------------------------


def test_the_patient_page_shows_contact_and_appointments(as_staff, people_a):
    zone = people_a.org.zone
    with tenant_context(org=people_a.org):
        for day in (dt.date(2020, 6, 1), dt.date(2030, 6, 3)):
            appointment_book(
                patient=people_a.jane,
                provider=people_a.ada,
                appointment_type=people_a.checkup,
                starts_at=localize(day, dt.time(9), zone),
                booked_by=None,
            )
    body = as_staff.get(f"/patients/{people_a.jane.pk}/").content.decode()
    assert "Born 17/05/1980" in body
    assert "+1 415-555-" in body
    upcoming, past = body.split("Upcoming appointments")[1].split("Past appointments")
    assert "Mon 03/06/2030, 09:00" in upcoming and "2020" not in upcoming
    assert "Mon 01/06/2020, 09:00" in past
    assert f'href="/appointments/new/?patient={people_a.jane.pk}"' in body


def test_booking_from_the_patient_page_prefills_the_patient(as_staff, people_a):
    body = as_staff.get(f"/appointments/new/?patient={people_a.john.pk}").content.decode()
    assert f'<option value="{people_a.john.pk}" selected>' in body


def test_staff_record_an_opt_out_and_an_opt_in_only_with_a_reason(as_staff, people_a):
    response = as_staff.post(f"/patients/{people_a.jane.pk}/sms-opt-out/")
    assert response["Location"] == f"/patients/{people_a.jane.pk}/"
    assert [p.sms_consent for p in patients(people_a.org) if p.pk == people_a.jane.pk] == ["opted_out"]
    body = as_staff.get(f"/patients/{people_a.jane.pk}/").content.decode()
    assert "Record opt-out" not in body
    assert "The patient withdrew consent to texts through staff" in body
    assert as_staff.get(f"/patients/{people_a.jane.pk}/sms-opt-out/").status_code == 405
    as_staff.post(f"/patients/{people_a.jane.pk}/sms-opt-in/", {"reason": "  "})
    assert [p.sms_consent for p in patients(people_a.org) if p.pk == people_a.jane.pk] == ["opted_out"]
    as_staff.post(f"/patients/{people_a.jane.pk}/sms-opt-in/", {"reason": "Asked at the desk"})
    assert [p.sms_consent for p in patients(people_a.org) if p.pk == people_a.jane.pk] == ["opted_in"]


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "edit/"])
def test_another_clinics_patient_is_a_404(as_staff, people_a, people_b, suffix):
    url = f"/patients/{people_b.jane.pk}/{suffix}"
    assert as_staff.get(url).status_code == 404
    assert as_staff.post(url, new_patient()).status_code in (404, 405)
    assert as_staff.post(f"/patients/{people_b.jane.pk}/sms-opt-out/").status_code == 404
    assert as_staff.post(f"/patients/{people_b.jane.pk}/sms-opt-in/", {"reason": "x"}).status_code == 404
    [jane] = [p for p in patients(people_b.org) if p.pk == people_b.jane.pk]
    assert (jane.first_name, jane.sms_consent) == ("OtherJane", "opted_in")


def test_the_patient_pages_need_a_login_and_a_clinic(client, org_a, org_b, owner_a, people_a):
    for url in ("/patients/", "/patients/new/", f"/patients/{people_a.jane.pk}/"):
        assert client.get(url)["Location"].startswith("/accounts/login/")
    from tests.support.people import add_member

    add_member(org_b, owner_a)
    login(client, owner_a)
    assert client.get("/patients/")["Location"] == "/clinics/"


def test_the_phone_help_says_which_country_local_numbers_belong_to(as_staff):
    response = as_staff.get("/patients/new/")
    assert "Numbers without a country code are read as DE numbers." in response.content.decode()


def test_upcoming_and_past_come_from_one_query_each_in_its_own_order(org_a, django_assert_num_queries):
    from clinic.appointments.models import Appointment

    now = dt.datetime(2030, 1, 7, 12, tzinfo=dt.UTC)
    with tenant_context(org=org_a):
        patient = factories.patient()
        starts = [now + dt.timedelta(hours=hours) for hours in (-30, -3, -10, 5, 1, 26)]
        for start in starts:
            factories.appointment(patient=patient, starts_at=start, ends_at=start + dt.timedelta(minutes=30))
        with django_assert_num_queries(1):
            upcoming, past = Appointment.objects.filter(patient=patient).upcoming_and_past(now, 2)
    assert [a.starts_at for a in upcoming] == [now + dt.timedelta(hours=1), now + dt.timedelta(hours=5)]
    assert [a.starts_at for a in past] == [now - dt.timedelta(hours=3), now - dt.timedelta(hours=10)]
