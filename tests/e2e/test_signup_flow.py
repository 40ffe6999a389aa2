"""Public sign-up in a browser: a new person starts a clinic, sees "check your email"
until the emailed link is opened, then signs in to the new clinic (a trial). The
time zone starts at the browser's own and takes a city typed in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import mails_to, sign_in

pytestmark = pytest.mark.e2e

EMAIL = "grace.signup@example.test"
PASSWORD = "a-long-enough-password-2026"
CLINIC = "Seaview Physiotherapy"
LINK = re.compile(r"http://\S+(/signup/verify/\S+/)")


@pytest.fixture
def browser_in(browser, e2e_server):
    """browser_in(zone, javascript=True): a page in a browser whose clock is in `zone`."""
    contexts = []

    def open_page(zone: str, *, javascript: bool = True):
        context = browser.new_context(base_url=e2e_server, timezone_id=zone, java_script_enabled=javascript)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def test_sign_up_confirm_the_address_and_open_the_new_clinic(browser_in, e2e_env):
    page = browser_in("Europe/Dublin")
    page.goto("/signup/")
    page.get_by_label("Your clinic's name").fill(CLINIC)
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Dublin")  # the browser's
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
    expect(page.locator(".site-footer")).to_contain_text("times shown in Europe/Dublin")


def test_the_time_zone_is_the_browsers_and_a_typed_city_replaces_it(browser_in):
    page = browser_in("America/Chicago")
    page.goto("/signup/")
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_value("America/Chicago")
    suggestion = page.locator("#id_timezone_zones option[value='America/Chicago']")
    expect(suggestion).to_have_text("America/Chicago (Central Time)")
    # Typing searches the list; a city alone is understood when the form is sent.
    zone.fill("")
    zone.press_sequentially("Tokyo")
    page.get_by_label("Your clinic's name").fill("Harbour Clinic")
    page.get_by_label("Your email address").fill("kenji.signup@example.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_test_id("signup-check-email")).to_contain_text("kenji.signup@example.test")


def test_without_javascript_the_box_is_empty_and_still_suggests_the_zones(browser_in):
    page = browser_in("America/Chicago", javascript=False)
    page.goto("/signup/")
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_value("")
    expect(zone).to_have_attribute("placeholder", "Type a city, such as Chicago")
    expect(page.locator("#id_timezone_zones option[value='America/Chicago']")).to_have_count(1)
    zone.fill("chicgo")
    page.get_by_label("Your clinic's name").fill("Prairie Clinic")
    page.get_by_label("Your email address").fill("pat.signup@example.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("“chicgo” is not a time zone we know")).to_be_visible()
