"""Patient data stays off the browser: flash messages live in the server-side session
(not a readable cookie), and no page shown to a signed-in user may be cached."""

from __future__ import annotations

import pytest

from tests.support.people import login

pytestmark = pytest.mark.django_db


def test_a_message_naming_a_patient_is_not_put_in_a_cookie(client, staff_a, org_a):
    login(client, staff_a, org_a)
    response = client.post(
        "/patients/new/",
        {"first_name": "Jane", "last_name": "Cookie", "date_of_birth": "1980-05-17", "phone": "+14155550142"},
    )
    assert response.status_code == 302
    assert "messages" not in response.cookies
    page = client.get(response["Location"]).content.decode()
    assert "Jane Cookie" in page


@pytest.mark.parametrize("path", ["/", "/patients/", "/sms/"])
def test_signed_in_pages_are_never_cached(client, staff_a, org_a, path):
    login(client, staff_a, org_a)
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_api_answers_are_never_cached(api_a, people_a):
    response = api_a.get(f"patients/{people_a.jane.pk}/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
