"""Busy-time import in a real browser: the owner adds a provider's outside calendar
(served here on 127.0.0.1), it is fetched, the day schedule greys the busy time under
the CSP (no style attributes). Booking into it is refused in tests/calendars/test_busy.py."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from clinic.appointments.demo_data import DEMO_PASSWORD, NORTHSIDE
from tests.support.browser import sign_in
from tests.support.busy import IcsServer, calendar, timed
from tests.support.database import manage_or_fail

pytestmark = pytest.mark.e2e


@pytest.fixture
def ics_server():
    server = IcsServer()
    yield server
    server.close()


def test_a_busy_calendar_greys_the_schedule_and_blocks_booking(page, screenshot, e2e_env, ics_server):
    refused: list[str] = []
    page.on("console", lambda message: "Refused to" in message.text and refused.append(message.text))
    zone = ZoneInfo(NORTHSIDE.timezone)
    day = dt.datetime.now(zone).date() + dt.timedelta(days=1)
    while day.weekday() >= 4:  # a day Dr. Maya Patel works: Monday to Thursday
        day += dt.timedelta(days=1)
    event = timed(
        "lunch",
        dt.datetime.combine(day, dt.time(12)),
        dt.datetime.combine(day, dt.time(13, 30)),
        zone=NORTHSIDE.timezone,
    )
    url = ics_server.serve("/secret-token/basic.ics", calendar(event))

    sign_in(page, "northside-owner", DEMO_PASSWORD)
    page.goto("/calendars/")
    form = page.locator("form", has=page.get_by_role("button", name="Add calendar"))
    form.get_by_label("Provider").select_option(label="Dr. Maya Patel")
    form.get_by_label("Name").fill("Hospital rota")
    form.get_by_label("Calendar address (ICS)").fill(url)
    form.get_by_role("button", name="Add calendar").click()
    expect(page.get_by_role("status")).to_contain_text("Added the busy calendar Hospital rota")
    manage_or_fail(
        "shell",
        "-c",
        "from tests.e2e.seed import refresh_busy_calendars; refresh_busy_calendars('northside')",
        env={**e2e_env, "CALENDAR_FETCH_ALLOW_LOOPBACK": "true"},
    )
    page.goto("/calendars/")
    row = page.get_by_test_id("busy-calendar-row")
    expect(row).to_contain_text("Up to date")
    expect(row).not_to_contain_text("secret-token")

    page.goto(f"/?date={day.isoformat()}")
    busy = page.get_by_test_id("busy-interval")
    expect(busy).to_have_count(1)
    expect(busy).to_contain_text("Busy · Hospital rota")
    box = busy.bounding_box()
    assert box is not None and box["height"] > 60  # 90 minutes tall, placed by the grid's classes
    screenshot(page, "day-view-busy")

    assert refused == []
