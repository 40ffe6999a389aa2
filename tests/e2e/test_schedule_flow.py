"""A day at the front desk, in a real browser, on the demo clinics: register a patient,
book them, see them on the schedule, be stopped from double booking, and find none of
the first clinic's patients after switching clinics."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from clinic.appointments.demo_data import DEMO_PASSWORD, LAKEVIEW, NORTHSIDE
from tests.support.browser import sign_in

pytestmark = pytest.mark.e2e

NEW_YORK = ZoneInfo(NORTHSIDE.timezone)


def a_monday_well_ahead() -> dt.date:
    """Past the demo week, so the slot is free."""
    day = dt.datetime.now(NEW_YORK).date() + dt.timedelta(days=14)
    return day + dt.timedelta(days=-day.weekday() % 7)


def a_busy_weekday() -> dt.date:
    """A demo day full of appointments: today while the clinic is open (visits done,
    under way and to come), otherwise the next weekday (all still to come, with their
    status buttons)."""
    now = dt.datetime.now(NEW_YORK)
    day = now.date()
    if day.weekday() < 5 and 9 <= now.hour < 16:
        return day
    day += dt.timedelta(days=1)
    return day + dt.timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def book(page, *, provider: str, kind: str, day: dt.date, time: str) -> None:
    page.get_by_label("Provider", exact=True).select_option(label=provider)
    page.get_by_label("Type", exact=True).select_option(label=kind)
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    page.get_by_label("Starts", exact=True).fill(time)
    page.get_by_role("button", name="Book appointment").click()


def test_register_book_see_it_be_refused_a_double_booking_and_switch_clinics(page):
    day = a_monday_well_ahead()
    doctor = "Dr. Maya Patel"
    sign_in(page, "sam-staff", DEMO_PASSWORD)
    page.get_by_role("button", name=f"Work in {NORTHSIDE.name}").click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Providers & types")).to_have_count(0)  # staff

    nav.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Register a patient").first.click()
    page.get_by_label("First name").fill("Rosa")
    page.get_by_label("Last name").fill("Delgado")
    page.get_by_label("Date of birth").fill("1990-04-12")
    page.get_by_label("Phone").fill("(202) 555-0188")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("heading", name="Rosa Delgado")).to_be_visible()
    expect(page.get_by_text("+1 202-555-0188")).to_be_visible()

    page.get_by_role("link", name="Book appointment").click()
    expect(page.get_by_label("Patient", exact=True)).to_have_value(re.compile(r"^[0-9a-f-]{36}$"))
    book(page, provider=doctor, kind="Check-up", day=day, time="10:00")
    expect(page).to_have_url(re.compile(rf"/\?date={day.isoformat()}$"))
    expect(page.get_by_role("status")).to_contain_text(f"Booked Rosa Delgado with {doctor}")
    block = page.get_by_test_id("appointment").filter(has_text="Rosa Delgado")
    expect(block).to_contain_text("10:00–10:30")
    expect(block).to_contain_text("Scheduled")

    page.get_by_role("link", name="New appointment").click()
    page.get_by_label("Find a patient").fill("olivia")
    page.get_by_role("button", name="Find").click()
    page.get_by_label("Patient", exact=True).select_option(index=1)
    book(page, provider=doctor, kind="Check-up", day=day, time="10:15")
    expect(page.get_by_role("alert")).to_contain_text(
        f"{doctor} already has Rosa Delgado at 10:00–10:30 (America/New_York)"
    )
    expect(page.get_by_role("link", name="Open the appointment in the way")).to_be_visible()

    header = page.get_by_role("banner")
    header.get_by_label("Clinic", exact=True).select_option(label=LAKEVIEW.name)
    header.get_by_role("button", name="Switch").click()
    expect(header.get_by_test_id("active-clinic")).to_have_text(LAKEVIEW.name)
    nav.get_by_role("link", name="Patients").click()
    expect(page.get_by_role("table")).to_contain_text(f"{LAKEVIEW.patients[0][1]}, {LAKEVIEW.patients[0][0]}")
    expect(page.get_by_role("table")).not_to_contain_text("Delgado")
    expect(page.get_by_role("table")).not_to_contain_text(NORTHSIDE.patients[0][1])
    page.get_by_label("Search patients").fill("Rosa")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No patient matches “Rosa”.")).to_be_visible()
    # The search was posted: the address names no patient, and reloading repeats it.
    expect(page).to_have_url(re.compile(r"/patients/\?s=[\w-]+$"))
    page.reload()
    expect(page.get_by_text("No patient matches “Rosa”.")).to_be_visible()

    header.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def test_a_status_button_on_the_schedule(page):
    sign_in(page, "northside-owner", DEMO_PASSWORD)
    page.goto(f"/?date={a_monday_well_ahead() + dt.timedelta(days=7)}")
    page.get_by_role("link", name="Book with Dr. James Okafor").click()
    page.get_by_label("Find a patient").fill("ethan")
    page.get_by_role("button", name="Find").click()
    page.get_by_label("Patient", exact=True).select_option(index=1)
    page.get_by_label("Type", exact=True).select_option(label="Vaccination")
    page.get_by_label("Starts", exact=True).fill("09:00")
    page.get_by_role("button", name="Book appointment").click()
    block = page.get_by_test_id("appointment").filter(has_text="Ethan Johnson")
    block.get_by_role("button", name=re.compile(r"^Confirm")).click()
    expect(page.get_by_role("status")).to_contain_text("Ethan Johnson at 09:00–09:15: confirmed.")
    expect(page.get_by_test_id("appointment").filter(has_text="Ethan Johnson")).to_contain_text("Confirmed")


def test_screenshots_of_a_full_demo_day(page, screenshot):
    sign_in(page, "northside-owner", DEMO_PASSWORD)
    # The demo week is built around the day seed_demo ran; when New York's midnight
    # falls between the seeding and this test, the next weekday can lie past it.
    today = dt.datetime.now(NEW_YORK).date()
    for day in (a_busy_weekday(), today, today - dt.timedelta(days=1)):
        page.goto(f"/?date={day.isoformat()}")
        if page.get_by_test_id("appointment").count():
            break
    expect(page.get_by_test_id("appointment").first).to_be_visible()
    screenshot(page, "day-view")
    page.get_by_role("link", name="New appointment").click()
    screenshot(page, "appointment-form")
    page.goto("/patients/")
    screenshot(page, "patients")
    page.get_by_role("link", name=re.compile(r"^Martinez, Olivia")).click()
    screenshot(page, "patient")
    page.goto("/setup/")
    screenshot(page, "setup")
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
    page.goto(f"/?date={a_busy_weekday().isoformat()}")
    screenshot(page, "day-view-tablet")
