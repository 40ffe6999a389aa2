"""A London clinic in a real browser: its pages show dates day first and read what the
front desk types day first, whatever the browser's own locale (Chromium's is en-US)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from clinic.appointments.demo_data import DEMO_PASSWORD, LAKEVIEW
from tests.support.browser import sign_in

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo(LAKEVIEW.timezone)


def a_wednesday_well_ahead() -> dt.date:
    """Past the demo week, on a day Dr Eleanor Hughes works, so the slot is free; and a
    day of the month at most 12, so the two orders read it differently."""
    day = dt.datetime.now(LONDON).date() + dt.timedelta(days=21)
    while day.weekday() != 2 or day.day > 12:
        day += dt.timedelta(days=1)
    return day


def test_a_london_clinic_reads_and_shows_dates_day_first(page):
    day = a_wednesday_well_ahead()
    typed = f"{day:%d/%m/%Y}"
    sign_in(page, "sam-staff", DEMO_PASSWORD)
    page.get_by_role("button", name=f"Work in {LAKEVIEW.name}").click()
    nav = page.get_by_role("navigation", name="Main")

    nav.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Register a patient").first.click()
    birth = page.get_by_label("Date of birth")
    expect(birth).to_have_attribute("placeholder", "dd/mm/yyyy")
    page.get_by_label("First name").fill("Imogen")
    page.get_by_label("Last name").fill("Ashdown")
    birth.fill("20/12/1961")
    page.get_by_label("Phone").fill("020 7946 0188")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("heading", name="Imogen Ashdown")).to_be_visible()
    expect(page.get_by_text("Born 20/12/1961")).to_be_visible()

    nav.get_by_role("link", name="Patients").click()
    page.get_by_role("searchbox").fill("20/12/1961")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("table")).to_contain_text("Ashdown, Imogen")
    expect(page.get_by_role("table")).to_contain_text("20/12/1961")
    page.get_by_role("link", name="Ashdown, Imogen").click()

    page.get_by_role("link", name="Book appointment").click()
    date = page.get_by_label("Date", exact=True)
    expect(date).to_have_attribute("placeholder", "dd/mm/yyyy")
    page.get_by_label("Provider", exact=True).select_option(label="Dr Eleanor Hughes")
    page.get_by_label("Type", exact=True).select_option(label="Check-up")
    date.fill(typed)
    page.get_by_label("Starts", exact=True).fill("10:00")
    page.get_by_role("button", name="Book appointment").click()

    expect(page).to_have_url(re.compile(rf"/\?date={day.isoformat()}$"))
    heading = f"{day:%A} {day.day} {day:%B %Y}"
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    expect(page.get_by_label("Go to date")).to_have_value(typed)
    page.get_by_test_id("appointment").filter(has_text="Imogen Ashdown").get_by_role("link").first.click()
    expect(page.get_by_text(f"{heading} · 10:00–10:30")).to_be_visible()

    page.get_by_role("link", name="See the day").click()
    page.get_by_role("link", name="New appointment").click()
    expect(page.get_by_label("Date", exact=True)).to_have_value(typed)
