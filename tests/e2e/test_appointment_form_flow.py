"""The appointment form in a real browser: Enter in the search box finds patients,
Enter in any other field saves the appointment (new or changed); in the notes, a
text area, Enter starts a new line as everywhere."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from clinic.appointments.demo_data import DEMO_PASSWORD, NORTHSIDE
from tests.support.browser import sign_in

pytestmark = pytest.mark.e2e

NEW_YORK = ZoneInfo(NORTHSIDE.timezone)
DOCTOR = "Dr. Maya Patel"


def a_tuesday_well_ahead() -> dt.date:
    """Past the demo week and the other browser tests' Mondays, so the slots are free."""
    day = dt.datetime.now(NEW_YORK).date() + dt.timedelta(days=35)
    return day + dt.timedelta(days=(1 - day.weekday()) % 7)


def new_appointment(page, *, day: dt.date, time: str, query: str) -> None:
    page.goto("/appointments/new/")
    page.get_by_label("Find a patient").fill(query)
    page.get_by_label("Find a patient").press("Enter")
    expect(page.get_by_text(re.compile(rf"1 patient matches “{query}”"))).to_be_visible()
    page.get_by_label("Patient", exact=True).select_option(index=1)
    page.get_by_label("Provider", exact=True).select_option(label=DOCTOR)
    page.get_by_label("Type", exact=True).select_option(label="Check-up")
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    page.get_by_label("Starts", exact=True).fill(time)


@pytest.mark.parametrize(
    ("field", "time", "query"),
    [("Starts", "11:00", "olivia"), ("Date", "12:00", "ethan"), ("Ends", "13:00", "sophia")],
)
def test_enter_in_a_field_books_the_appointment(page, field, time, query):
    day = a_tuesday_well_ahead()
    sign_in(page, "northside-owner", DEMO_PASSWORD)
    new_appointment(page, day=day, time=time, query=query)
    if field == "Ends":
        page.get_by_label("Ends", exact=True).fill("13:45")
    page.get_by_label(field, exact=True).press("Enter")
    expect(page).to_have_url(re.compile(rf"/\?date={day.isoformat()}$"))
    expect(page.get_by_role("status")).to_contain_text(f"with {DOCTOR} on")
    expect(page.get_by_test_id("appointment").filter(has_text=f"{time}–")).to_have_count(1)


def test_enter_in_the_change_form_saves_the_change(page):
    day = a_tuesday_well_ahead()
    sign_in(page, "northside-owner", DEMO_PASSWORD)
    new_appointment(page, day=day, time="14:00", query="liam")
    page.get_by_role("button", name="Book appointment").click()
    page.get_by_test_id("appointment").filter(has_text="14:00–").get_by_role("link").first.click()
    page.get_by_role("link", name="Change or reschedule").click()

    page.get_by_label("Starts", exact=True).fill("14:30")
    page.get_by_label("Starts", exact=True).press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.get_by_text("14:30–15:00").first).to_be_visible()


def test_a_night_booking_waits_for_book_anyway(page):
    day = a_tuesday_well_ahead()
    sign_in(page, "northside-owner", DEMO_PASSWORD)
    new_appointment(page, day=day, time="22:30", query="mason")
    page.get_by_label("Starts", exact=True).press("Enter")
    warnings = page.get_by_role("alert").filter(has_text="nothing is saved yet")
    expect(warnings).to_contain_text(f"It is outside {DOCTOR}'s working hours (08:00–16:00).")
    expect(warnings).to_contain_text("It is at night")
    expect(page).to_have_url(re.compile(r"/appointments/new/$"))

    page.get_by_label("Book anyway, despite the warnings above").check()
    page.get_by_label("Starts", exact=True).press("Enter")
    expect(page).to_have_url(re.compile(rf"/\?date={day.isoformat()}$"))
    expect(page.get_by_role("status")).to_contain_text("Booked Mason Brown")
    expect(page.get_by_text("Booked anyway: It is at night")).to_be_visible()
