"""Signing in, picking and switching clinics, and signing out, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.seed import HARBOUR, PASSWORD, RIVERSIDE
from tests.support.browser import sign_in

pytestmark = pytest.mark.e2e


def test_a_user_in_two_clinics_picks_switches_and_signs_out(page, screenshot):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    screenshot(page, "login")

    sign_in(page, "dana", PASSWORD)
    expect(page).to_have_url(re.compile(r"/clinics/$"))
    expect(page.get_by_role("heading", name="Choose a clinic")).to_be_visible()
    expect(page.get_by_role("heading", name=HARBOUR)).to_be_visible()
    expect(page.get_by_role("heading", name=RIVERSIDE)).to_be_visible()
    screenshot(page, "clinic-picker")

    page.get_by_role("button", name=f"Work in {HARBOUR}").click()
    expect(page).to_have_url(re.compile(r"/$"))
    header = page.get_by_role("banner")
    expect(header.get_by_test_id("active-clinic")).to_have_text(HARBOUR)
    expect(header).to_contain_text("Europe/Berlin")
    expect(page.get_by_role("status")).to_contain_text(f"Now working in {HARBOUR}.")
    screenshot(page, "home")

    header.get_by_label("Clinic", exact=True).select_option(label=RIVERSIDE)
    header.get_by_role("button", name="Switch").click()
    expect(header.get_by_test_id("active-clinic")).to_have_text(RIVERSIDE)
    expect(header).to_contain_text("America/New_York")
    # Staff at Riverside: no members page offered.
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Members")).to_have_count(0)

    header.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("status")).to_contain_text("You have signed out.")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_before_picking_the_header_shows_no_clinic_as_chosen(page):
    sign_in(page, "dana", PASSWORD)
    expect(page).to_have_url(re.compile(r"/clinics/$"))
    header = page.get_by_role("banner")
    expect(header.get_by_test_id("active-clinic")).to_have_count(0)
    switcher = header.get_by_label("Clinic", exact=True)
    expect(switcher.locator("option:checked")).to_have_text("Choose a clinic")
    expect(switcher).to_have_value("")
    # Switching without a choice goes nowhere: the browser asks for one.
    header.get_by_role("button", name="Switch").click()
    expect(page).to_have_url(re.compile(r"/clinics/$"))
    assert switcher.evaluate("select => select.validity.valueMissing")

    switcher.select_option(label=RIVERSIDE)
    header.get_by_role("button", name="Switch").click()
    expect(header.get_by_test_id("active-clinic")).to_have_text(RIVERSIDE)
    expect(switcher.locator("option:checked")).to_have_text(RIVERSIDE)
    expect(switcher.get_by_role("option", name="Choose a clinic")).to_have_count(0)


def test_the_org_never_appears_in_a_url(page):
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    sign_in(page, "dana", PASSWORD)
    page.get_by_role("button", name=f"Work in {RIVERSIDE}").click()
    expect(page.get_by_test_id("active-clinic")).to_have_text(RIVERSIDE)
    assert seen
    assert not [url for url in seen if "riverside" in url.lower() or "org" in url.lower() or "?" in url]


def test_a_wrong_password_shows_an_error(page):
    sign_in(page, "dana", "not-the-password")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username or email and password")


def test_a_user_with_one_clinic_lands_in_it(page):
    sign_in(page, "rui", PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("active-clinic")).to_have_text(RIVERSIDE)
    expect(page.get_by_label("Clinic", exact=True)).to_have_count(0)  # one clinic: no switcher


def test_a_user_without_a_clinic_is_told_so(page, screenshot):
    sign_in(page, "noor", PASSWORD)
    expect(page).to_have_url(re.compile(r"/clinics/$"))
    expect(page.get_by_role("heading", name="You are not a member of any clinic yet")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    screenshot(page, "no-clinic")


def test_an_owner_sees_and_manages_members(page, screenshot):
    sign_in(page, "dana", PASSWORD)
    page.get_by_role("button", name=f"Work in {HARBOUR}").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    expect(page.get_by_role("heading", name="Members", exact=True)).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(4)  # header and three members
    page.get_by_label("Role for Ben Lindqvist").select_option("admin")
    page.get_by_role("button", name="Save role for Ben Lindqvist").click()
    expect(page.get_by_role("status")).to_contain_text("Ben Lindqvist is now admin.")
    page.get_by_label("Role for Ben Lindqvist").select_option("staff")
    page.get_by_role("button", name="Save role for Ben Lindqvist").click()
    expect(page.get_by_role("status")).to_contain_text("Ben Lindqvist is now staff.")
    screenshot(page, "members")
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
    screenshot(page, "members-tablet")
