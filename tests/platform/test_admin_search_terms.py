"""The admin's search box and autocomplete keep what was searched out of URLs
(clinic.core.admin_search), as the staff pages do."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from clinic.appointments.models import Appointment, Patient
from clinic.messaging.models import SmsMessage
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.admin import make_staff, url
from tests.support.two_factor import sign_in_with_code


@pytest.fixture
def patients(org_a, org_b):
    with tenant_context(org=org_a):
        mine = [factories.patient(first_name="Anna", last_name=f"Quill{n}") for n in range(3)]
        factories.patient(first_name="Otto", last_name="Other")
    with tenant_context(org=org_b):
        factories.patient(first_name="Anna", last_name="Quillb")
    return mine


def _hrefs(response) -> list[str]:
    return re.findall(r'(?:href|action)="([^"]*)"', response.content.decode())


def test_a_search_is_posted_and_its_results_are_behind_a_key(admin_client, patients):
    response = admin_client.post(url(Patient), {"q": "quill"})
    assert response.status_code == 303
    location = response["Location"]
    assert "quill" not in location.lower()
    assert set(parse_qs(urlsplit(location).query)) == {"s"}
    results = admin_client.get(location)
    assert results.context["cl"].result_count == 3
    assert [href for href in _hrefs(results) if "quill" in href.lower()] == []


def test_a_q_in_the_url_is_ignored(admin_client, patients):
    assert admin_client.get(url(Patient), {"q": "quill"}).context["cl"].result_count == 4


def test_an_unknown_key_searches_nothing(admin_client, patients):
    assert admin_client.get(url(Patient), {"s": "not-a-key"}).context["cl"].result_count == 4


def test_filters_stay_and_the_key_follows_the_pages_and_sorting(admin_client, patients):
    location = admin_client.post(url(Patient) + "?sms_consent__exact=opted_in&o=1", {"q": "quill"})["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["sms_consent__exact"] == ["opted_in"] and query["o"] == ["1"] and "q" not in query
    results = admin_client.get(location)
    assert results.context["cl"].result_count == 3
    sorting = results.context["cl"].get_query_string({"o": "2"})
    assert "s=" in sorting and "q=" not in sorting
    assert admin_client.get(url(Patient) + sorting).context["cl"].result_count == 3


def test_a_record_opened_from_the_results_links_back_with_the_key(admin_client, patients):
    location = admin_client.post(url(Patient), {"q": "quill"})["Location"]
    results = admin_client.get(location)
    links = [href for href in _hrefs(results) if str(patients[0].pk) in href]
    assert links and all("_changelist_filters=s" in link for link in links)


def test_an_empty_search_shows_everyone(admin_client, patients):
    location = admin_client.post(url(Patient) + "?s=old", {"q": "  "})["Location"]
    assert urlsplit(location).query == ""


@pytest.mark.parametrize("model", [Appointment, SmsMessage], ids=["appointment", "sms"])
def test_the_other_patient_data_searches_post_too(admin_client, org_a, model):
    with tenant_context(org=org_a):
        patient = factories.patient(first_name="Zelda", last_name="Quarry")
        appointment = factories.appointment(patient=patient)
        factories.sms_message(patient=patient, appointment=appointment)
    location = admin_client.post(url(model), {"q": "quarry"})["Location"]
    assert "quarry" not in location.lower()
    assert admin_client.get(location).context["cl"].result_count == 1


def test_an_action_still_runs_from_the_changelist(admin_client, org_a):
    with tenant_context(org=org_a):
        appointment = factories.appointment()
    response = admin_client.post(
        url(Appointment), {"action": "mark_confirmed", "_selected_action": [str(appointment.pk)], "index": 0}
    )
    assert response.status_code == 302
    with tenant_context(org=org_a):
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.CONFIRMED


def test_the_autocomplete_answers_post_only(admin_client, patients):
    params = {"app_label": "appointments", "model_name": "appointment", "field_name": "patient", "term": "quill"}
    assert admin_client.get("/admin/autocomplete/", params).status_code == 405
    response = admin_client.post("/admin/autocomplete/", params)
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {str(patient.pk) for patient in patients}


def test_the_booking_form_asks_its_autocomplete_by_post(admin_client, org_a):
    page = admin_client.get(url(Appointment, "add/")).content.decode()
    assert 'data-ajax--type="POST"' in page
    assert "js/admin-autocomplete-post.js" in page


def test_staff_without_admin_rights_cannot_use_the_autocomplete(client, staff_a, org_a, patients):
    sign_in_with_code(client, make_staff(staff_a), org_a)
    params = {"app_label": "appointments", "model_name": "appointment", "field_name": "patient", "term": "quill"}
    assert client.post("/admin/autocomplete/", params).status_code in (302, 403)
