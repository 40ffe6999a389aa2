"""A password refused (too short, too common, not the same twice) is reported under
the password field, never under its confirmation: on sign-up, on an invitation's
account form, on the password change and on the password reset link's form."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.support.invitations import invite, link_in
from tests.support.people import PASSWORD, login

pytestmark = pytest.mark.django_db

TOO_SHORT = "This password is too short. It must contain at least 12 characters."
TOO_COMMON = "This password is too common."
MISMATCH = "The two password fields didn’t match."
# (typed, confirmed, the messages expected under the password)
CASES = [
    ("tulip-river", "tulip-river", [TOO_SHORT]),
    ("password1234", "password1234", [TOO_COMMON]),
    ("a-long-unusual-passphrase", "a-long-unusual-passphrasE", [MISMATCH]),
]
IDS = ["too short", "too common", "mismatch"]


def assert_under(response, field: str, confirmation: str | None, expected: list[str]) -> None:
    assert response.status_code in (200, 400)
    form = response.context["form"]
    assert form.errors.get(field) == expected
    if confirmation:
        assert confirmation not in form.errors
    body = response.content.decode()
    under_password = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', body, re.S)
    assert under_password and all(message in under_password.group(1) for message in expected)
    if confirmation:
        assert f'id="id_{confirmation}_error"' not in body


@pytest.mark.parametrize(("password", "again", "expected"), CASES, ids=IDS)
def test_the_password_change(client, staff_a, password, again, expected):
    login(client, staff_a)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": password, "new_password2": again},
    )
    assert_under(response, "new_password1", "new_password2", expected)


@pytest.mark.parametrize(("password", "again", "expected"), CASES, ids=IDS)
def test_the_password_reset(client, staff_a, mailoutbox, password, again, expected):
    client.post("/accounts/password_reset/", {"email": staff_a.email})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"new_password1": password, "new_password2": again})
    assert_under(response, "new_password1", "new_password2", expected)


@pytest.mark.parametrize(("password", "again", "expected"), CASES, ids=IDS)
def test_accepting_an_invitation(client, org_a, owner_a, on_commit, password, again, expected):
    login(client, owner_a, org=org_a)
    invite(client, on_commit, "newcomer@example.test")
    client.logout()
    fields = {"username": "nina", "first_name": "Nina", "last_name": "New", "password1": password, "password2": again}
    response = client.post(link_in(mail.outbox[0]), fields)
    assert response.status_code == 400
    assert_under(response, "password1", "password2", expected)


@pytest.mark.parametrize(("password", "expected"), [("tulip-river", [TOO_SHORT]), ("password1234", [TOO_COMMON])])
def test_signing_up(client, settings, password, expected):
    settings.ALLOW_SIGNUP = True
    fields = {"clinic_name": "Sunny Dental", "timezone": "Europe/Berlin", "email": "dana@example.test"}
    response = client.post("/signup/", {**fields, "password": password})
    assert response.status_code == 400
    assert_under(response, "password", None, expected)


def test_a_good_new_password_is_still_set(client, staff_a):
    login(client, staff_a)
    new = "a-long-unusual-passphrase"
    response = client.post(
        "/accounts/password_change/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response["Location"] == "/accounts/password_change/done/"
    staff_a.refresh_from_db()
    assert staff_a.check_password(new)
