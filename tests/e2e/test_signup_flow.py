"""Public sign-up in a browser: a new person starts a clinic, sees "check your email"
until the emailed link is opened, then signs in to the new clinic (a trial)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import mails_to, sign_in

pytestmark = pytest.mark.e2e

EMAIL = "grace.signup@example.test"
PASSWORD = "a-long-enough-password-2026"
CLINIC = "Seaview Physiotherapy"
LINK = re.compile(r"http://\S+(/signup/verify/\S+/)")


def test_sign_up_confirm_the_address_and_open_the_new_clinic(page, e2e_env):
    page.goto("/signup/")
    page.get_by_label("Your clinic's name").fill(CLINIC)
    page.get_by_label("Time zone").fill("Europe/Dublin")
    page.get_by_label("Your email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_test_id("signup-check-email")).to_contain_text(EMAIL)

    sign_in(page, EMAIL, PASSWORD)  # before the link: no clinic yet, whatever the page
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert page.goto("/patients/").status == 403

    [mail] = mails_to(e2e_env, EMAIL)
    page.goto(LINK.search(mail).group(1))  # signed in already: on to the clinic picker
    expect(page.get_by_text("Your email address is confirmed")).to_be_visible()
    page.get_by_role("button", name=f"Work in {CLINIC}").click()
    expect(page.get_by_test_id("active-clinic")).to_have_text(CLINIC)
    assert page.goto("/patients/").status == 200
