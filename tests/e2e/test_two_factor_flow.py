"""Setting up two-factor sign-in and signing in with a code, in a real browser."""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import hotp, totp
from playwright.sync_api import expect

from tests.e2e.seed import PASSWORD
from tests.support.browser import sign_in
from tests.support.database import manage_or_fail

pytestmark = pytest.mark.e2e

USERNAME = "tove"


def _create_user(env: dict[str, str]) -> None:
    code = (
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user(username={USERNAME!r}, email='tove@example.test', "
        f"password={PASSWORD!r}, first_name='Tove', last_name='Berg')"
    )
    manage_or_fail("shell", "-c", code, env=env)


def test_setting_up_two_factor_sign_in_then_signing_in_with_a_code(page, e2e_env, screenshot):
    _create_user(e2e_env)
    sign_in(page, USERNAME, PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="Two-factor sign-in").click()
    expect(page.get_by_test_id("two-factor-state")).to_have_text("off")
    page.get_by_role("link", name="Set up two-factor sign-in").click()

    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    screenshot(page, "two-factor-setup")
    key = b32decode(page.get_by_test_id("two-factor-secret").inner_text().replace(" ", ""))
    page.get_by_label("6-digit code from the app").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.get_by_test_id("recovery-codes").get_by_role("listitem")).to_have_count(10)
    page.get_by_role("link", name="I have kept them").click()
    expect(page.get_by_test_id("two-factor-state")).to_have_text("on")

    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    sign_in(page, USERNAME, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/login/verify/$"))
    page.goto("/accounts/two-factor/")  # half signed in: no page opens
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))

    sign_in(page, USERNAME, PASSWORD)
    # The code just used is spent: the app's next one, which the one-step tolerance accepts.
    page.get_by_label("Code").fill(f"{hotp(key, int(time.time()) // 30 + 1):06d}")
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/clinics/$"))
    expect(page.get_by_role("banner")).to_contain_text("Tove Berg")
