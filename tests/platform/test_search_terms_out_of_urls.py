"""Search terms are PHI (a patient's name, birth date, phone digits): they never
travel in a URL, where access logs, browser history and `?next=` would keep them."""

from __future__ import annotations

import pytest

from tests.support.people import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_staff(client, org_a, staff_a, people_a):
    login(client, staff_a, org=org_a)
    return client


def test_the_patient_search_form_posts(as_staff):
    body = as_staff.get("/patients/").content.decode()
    assert '<form class="search-bar" method="post" role="search">' in body
    assert 'name="csrfmiddlewaretoken"' in body


def test_a_patient_search_leads_to_a_url_without_its_terms(as_staff):
    response = as_staff.post("/patients/", {"q": "Jane"})
    assert response.status_code == 303
    location = response["Location"]
    assert location.startswith("/patients/?s=")
    assert "Jane" not in location
    # Refresh and Back: the same URL shows the same search, again and again.
    for _ in range(2):
        body = as_staff.get(location).content.decode()
        assert "1 match for “Jane”" in body and "Doe, Jane" in body and "Roe, John" not in body


def test_search_terms_in_a_query_string_are_not_used(as_staff):
    body = as_staff.get("/patients/", {"q": "jane"}).content.decode()
    assert "Roe, John" in body  # the whole list: nobody can build a search link


def test_another_sessions_search_key_shows_nothing_of_it(as_staff, owner_a, org_a):
    from django.test import Client

    location = as_staff.post("/patients/", {"q": "jane"})["Location"]
    colleague = Client()
    login(colleague, owner_a, org=org_a)
    body = colleague.get(location).content.decode()
    assert "“jane”" not in body
    assert "Roe, John" in body  # the plain list


def test_a_search_key_is_forgotten_with_the_session(as_staff, staff_a, org_a):
    location = as_staff.post("/patients/", {"q": "jane"})["Location"]
    as_staff.post("/accounts/logout/")
    login(as_staff, staff_a, org=org_a)
    body = as_staff.get(location).content.decode()
    assert "“jane”" not in body
    assert "Roe, John" in body


def test_an_empty_search_goes_back_to_the_plain_list(as_staff):
    assert as_staff.post("/patients/", {"q": "  "})["Location"] == "/patients/"


def test_a_session_keeps_only_its_recent_searches(as_staff):
    from clinic.core.search_terms import KEPT, SESSION_KEY

    for number in range(KEPT + 5):
        as_staff.post("/patients/", {"q": f"term {number}"})
    kept = as_staff.session[SESSION_KEY]
    assert len(kept) == KEPT
    assert list(kept.values())[-1] == {"q": f"term {KEPT + 4}"}


# --- `?next=` on the way to signing in -------------------------------------------------


def test_the_idle_sign_out_returns_to_the_page_without_its_query(as_staff):
    from tests.support.sessions import idle_for

    idle_for(as_staff, 31 * 60)
    response = as_staff.get("/patients/?q=Jane+Doe+1980-05-17&page=2")
    assert response["Location"] == "/accounts/login/?next=/patients/"


@pytest.mark.parametrize(
    ("asked", "login"),
    [
        ("/patients/?q=Jane+Doe", "/accounts/login/?next=/patients/"),
        ("/sms/?q=2025550143&status=failed", "/accounts/login/?next=/sms/"),
        ("/admin/appointments/patient/?q=Jane", "/admin/login/?next=/admin/appointments/patient/"),
    ],
)
def test_a_signed_out_visit_names_only_the_path_in_next(client, asked, login):
    response = client.get(asked)
    assert response.status_code == 302
    assert response["Location"] == login


def test_other_parameters_of_a_redirect_are_kept():
    from clinic.accounts.next_urls import without_query_in_next

    assert without_query_in_next("/accounts/login/?next=/patients/%3Fq%3DJane&x=1") == (
        "/accounts/login/?next=/patients/&x=1"
    )
    assert without_query_in_next("/patients/?s=abc") == "/patients/?s=abc"
    assert without_query_in_next("/accounts/login/?next=/members/") == "/accounts/login/?next=/members/"


# --- the SMS log's filters ----------------------------------------------------------------


def test_the_sms_log_filters_post(as_staff):
    body = as_staff.get("/sms/").content.decode()
    assert '<form class="sms-filters card" method="post"' in body


def test_an_sms_log_search_leads_to_a_url_without_its_terms_and_pages_keep_it(as_staff, org_a, people_a):
    import datetime as dt

    from tests.support.sms import text

    for n in range(55):
        at = dt.datetime(2030, 3, 4, 8, tzinfo=dt.UTC) + dt.timedelta(minutes=n)
        text(org_a, body=f"text {n:02d}", at=at, patient=people_a.jane)
    response = as_staff.post("/sms/", {"q": "Jane", "direction": "out"})
    assert response.status_code == 303
    location = response["Location"]
    assert location.startswith("/sms/?s=") and "Jane" not in location
    first = as_staff.get(location)
    assert first.context["form"].cleaned_data["q"] == "Jane"
    assert len(first.context["page"].object_list) == 50
    key = location.split("?s=")[1]
    assert f'href="?s={key}&amp;page=2"' in first.content.decode()
    second = as_staff.get(location + "&page=2")
    assert len(second.context["page"].object_list) == 5


def test_the_sms_log_takes_no_search_text_from_a_url(as_staff, org_a, people_a):
    from tests.support.sms import text

    text(org_a, body="to jane", patient=people_a.jane)
    text(org_a, body="to john", patient=people_a.john)
    response = as_staff.get("/sms/", {"q": "jane", "direction": "out"})
    assert {m.body for m in response.context["page"].object_list} == {"to jane", "to john"}
    assert response.context["form"].cleaned_data["direction"] == "out"  # links may still filter by the rest
