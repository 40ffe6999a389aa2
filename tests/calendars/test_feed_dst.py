"""A Berlin clinic's feed around the 2027 daylight saving switches (28 March, 31
October): 09:00 stays 09:00 local in the feed, the UTC instants shift by an hour, and
the VTIMEZONE carries the switch itself."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar

from tests.support.calendars import book, events, feed_path, make_feed

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC
OFFSET_FIELDS = ("DTSTART", "TZOFFSETFROM", "TZOFFSETTO")

SWITCHES = [
    pytest.param(
        dt.datetime(2027, 3, 1, tzinfo=UTC),
        [(dt.date(2027, 3, 26), 8), (dt.date(2027, 3, 28), 7), (dt.date(2027, 3, 29), 7)],
        ("20270328T030000", "+0100", "+0200"),
        id="spring-forward",
    ),
    pytest.param(
        dt.datetime(2027, 10, 15, tzinfo=UTC),
        [(dt.date(2027, 10, 29), 7), (dt.date(2027, 10, 31), 8), (dt.date(2027, 11, 1), 8)],
        ("20271031T030000", "+0200", "+0100"),
        id="fall-back",
    ),
]


@pytest.mark.parametrize(("now", "days", "switch"), SWITCHES)
def test_local_times_hold_across_the_switch(client, org_a, owner_a, people_a, monkeypatch, now, days, switch):
    assert org_a.timezone == "Europe/Berlin"
    monkeypatch.setattr(timezone, "now", lambda: now)
    for day, _ in days:
        book(people_a, starts_at=dt.datetime.combine(day, dt.time(9), tzinfo=BERLIN))
    response = client.get(feed_path(make_feed(org_a, owner_a)))
    body = response.content.decode()

    found = events(response)
    assert [event.decoded("DTSTART").astimezone(UTC) for event in found] == [
        dt.datetime.combine(day, dt.time(utc_hour), tzinfo=UTC) for day, utc_hour in days
    ]
    for day, _ in days:
        assert f"DTSTART;TZID=Europe/Berlin:{day:%Y%m%d}T090000" in body
        assert f"DTEND;TZID=Europe/Berlin:{day:%Y%m%d}T093000" in body

    # The VTIMEZONE's own rules (not the reader's tz database) carry the switch.
    (vtimezone,) = Calendar.from_ical(response.content).walk("VTIMEZONE")
    transitions = {
        tuple(sub.to_ical().decode().split(f"{name}:")[1].split("\r\n")[0] for name in OFFSET_FIELDS)
        for sub in vtimezone.subcomponents
    }
    assert switch in transitions
