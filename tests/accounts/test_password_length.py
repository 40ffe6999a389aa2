"""Passwords have at least 12 characters, wherever a person sets one; the demo and
test sign-ins still pass the rules."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password

from clinic.appointments.demo_data import DEMO_PASSWORD
from tests.support.people import PASSWORD, login

pytestmark = pytest.mark.django_db


def change(client, new: str):
    return client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )


def test_an_eleven_character_password_is_refused(client, staff_a):
    login(client, staff_a)
    response = change(client, "tulip-river")  # 11 characters
    assert response.status_code == 200
    assert "This password is too short. It must contain at least 12 characters." in response.content.decode()
    staff_a.refresh_from_db()
    assert staff_a.check_password(PASSWORD)


def test_a_twelve_character_password_is_accepted(client, staff_a):
    login(client, staff_a)
    response = change(client, "tulip-rivers")  # 12 characters
    assert response["Location"] == "/accounts/password_change/done/"
    staff_a.refresh_from_db()
    assert staff_a.check_password("tulip-rivers")


def test_the_demo_and_test_passwords_pass_the_rules(staff_a):
    from tests.e2e.seed import PASSWORD as E2E_PASSWORD

    for password in (DEMO_PASSWORD, PASSWORD, E2E_PASSWORD):
        validate_password(password, user=staff_a)
