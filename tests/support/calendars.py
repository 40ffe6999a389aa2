"""Helpers for the calendar feed tests: make a feed through the service, book around
now in the clinic's zone, fetch a feed and parse it with icalendar."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar

from clinic.appointments.services import appointment_book
from clinic.calendars.services import feed_create
from tenancy.context import tenant_context


def make_feed(org, user, *, provider=None, privacy: str = "type") -> str:
    """The token of a new feed of `org`, made by `user`."""
    with tenant_context(org=org, user=user):
        _, token = feed_create(provider=provider, privacy=privacy, created_by=user)
    return token


def feed_path(token: str) -> str:
    return f"/calendar/{token}.ics"


def book(people, *, patient=None, provider=None, starts_at: dt.datetime):
    with tenant_context(org=people.org):
        return appointment_book(
            patient=patient or people.jane,
            provider=provider or people.ada,
            appointment_type=people.checkup,
            starts_at=starts_at,
            booked_by=None,
        )


def soon(org, days: int = 2, hour: int = 9) -> dt.datetime:
    """`hour` o'clock in the clinic's zone, `days` from today."""
    day = dt.datetime.now(org.zone).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=org.zone)


def events(response) -> list:
    calendar = Calendar.from_ical(response.content)
    return list(calendar.walk("VEVENT"))


def summaries(response) -> list[str]:
    return [str(event["SUMMARY"]) for event in events(response)]
