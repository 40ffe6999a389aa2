"""A calendar feed in a real browser: a provider's owner makes a link on Calendar
connections, copies it with the button, and the link serves the clinic's calendar."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from clinic.appointments.demo_data import DEMO_PASSWORD, NORTHSIDE
from tests.support.browser import sign_in

pytestmark = pytest.mark.e2e

LINK = re.compile(r"^http://127\.0\.0\.1:\d+/calendar/[A-Za-z0-9_-]{43}\.ics$")


def fetch(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (our own server)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read()


def test_make_a_feed_copy_its_link_and_fetch_it(page, screenshot):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    refused: list[str] = []  # the copy button's script and the QR code under the CSP
    page.on("console", lambda message: "Refused to" in message.text and refused.append(message.text))
    sign_in(page, "northside-owner", DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendars").click()
    expect(page.get_by_role("heading", name="Calendar connections")).to_be_visible()
    feed_form = page.get_by_role("region", name="Make a calendar link")  # the CalDAV form has the same levels
    feed_form.get_by_label("Calendar of").select_option(label="Whole clinic (every provider)")
    feed_form.get_by_label("Type, time and patient initials").check()
    feed_form.get_by_role("button", name="Make link").click()

    expect(page.get_by_role("heading", name="Your new calendar link")).to_be_visible()
    expect(page.get_by_role("img", name="QR code of the link")).to_be_visible()
    shown = page.get_by_test_id("feed-url").inner_text().strip()
    assert LINK.match(shown), shown
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == shown
    screenshot(page, "calendar-connections")
    assert refused == []

    status, headers, body = fetch(copied)
    assert status == 200 and headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(body)
    assert str(calendar["X-WR-CALNAME"]).startswith(NORTHSIDE.name)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [NORTHSIDE.timezone]
    assert calendar.walk("VEVENT"), "the demo clinic has appointments around today"

    # The feed is listed with its last use, and revoking it ends the link.
    page.goto("/calendars/")  # a GET: reloading the page a POST rendered would make another feed
    row = page.get_by_test_id("feed-row").first
    expect(row).not_to_contain_text("Never")
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("its link no longer works")
    with pytest.raises(urllib.error.HTTPError) as gone:
        fetch(copied)
    assert gone.value.code == 404
