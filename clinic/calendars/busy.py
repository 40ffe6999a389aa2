"""Reading a busy calendar: fetch its ICS (clinic.calendars.fetching), or ask the
provider's connected CalDAV calendar for the events of the window (a calendar-query,
clinic.calendars.caldav.client), and turn them into busy spans over the booking
horizon, 30 days back and 180 ahead (the feeds' window).

- the clinic's own appointments, pushed to a CalDAV calendar (UID
  `appointment-<id>@clinic`, ics.event_uid), are not busy times: every booking would
  otherwise block itself, and a moved appointment its old time. Which of those UIDs are
  this clinic's is decided when storing, in its tenant context (`Reading.pushed`): a
  provider who also works at another clinic on the platform is busy with its bookings;

- recurring events are expanded (`recurring-ical-events`: RRULE, RDATE, EXDATE and
  moved occurrences), in the event's own zone, so a weekly 09:00 stays 09:00 across a
  daylight saving change;
- events marked free (TRANSP:TRANSPARENT) and cancelled ones (STATUS:CANCELLED) do
  not block;
- an all-day event blocks its whole day(s) in the clinic's time zone; a floating time
  (no zone) is read in the clinic's zone too.

Only `source_of` touches the database (in the worker's tenant transaction): the worker
reads outside any transaction and stores the result with busy_store.busy_calendar_store()."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar

from clinic.calendars import fetching
from clinic.calendars.caldav import client, credentials
from clinic.calendars.ics import window

# More than this many busy times in the window is not a personal calendar.
MAX_INTERVALS = 5000
# ics.event_uid(): an appointment the clinic pushed to the CalDAV calendar.
OWN_EVENT_UID = re.compile(r"appointment-([0-9a-f-]{36})@clinic", re.IGNORECASE)

Span = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class Reading:
    spans: list[Span] = field(default_factory=list)
    error: str = ""
    # (appointment id, span) of the events pushed by a clinic of this platform: busy
    # unless the appointment is the storing clinic's own.
    pushed: list[tuple[str, Span]] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """Where a busy calendar is read: an ICS URL, or a CalDAV calendar and its account;
    `error` when it cannot be read at all (a broken connection)."""

    url: str
    account: client.Account | None = None
    error: str = ""


def source_of(calendar) -> Source:
    """The calendar's source, with the connection's password decrypted (never stored
    or logged); call it in the clinic's tenant context."""
    connection = calendar.caldav_connection
    if connection is None:
        return Source(url=calendar.url)
    if connection.is_broken:
        problem = connection.last_error or "it was refused"
        return Source(url="", error=f"The CalDAV connection is broken ({problem}); reconnect it.")
    try:
        password = credentials.decrypt(connection.password_encrypted)
    except credentials.UnreadableCredentials:
        return Source(url="", error="The CalDAV connection's password can no longer be read; reconnect it.")
    return Source(url=connection.url, account=client.Account(connection.username, password))


def read_source(source: Source, *, zone: ZoneInfo, now: dt.datetime) -> Reading:
    if source.error:
        return Reading(error=source.error)
    if source.account is None:
        return read_calendar(source.url, zone=zone, now=now)
    return read_caldav(source.url, source.account, zone=zone, now=now)


def read_caldav(url: str, account: client.Account, *, zone: ZoneInfo, now: dt.datetime) -> Reading:
    """The busy spans of a CalDAV calendar's events, the clinic's own left out."""
    starts, ends = window(now)
    found = client.query_events(url, starts=starts, ends=ends, account=account)
    if found.error:
        return Reading(error=found.error)
    spans: list[Span] = []
    pushed: list[tuple[str, Span]] = []
    try:
        for resource in found.resources:
            spans.extend(busy_spans(resource, zone=zone, now=now, pushed=pushed))
    except ValueError as exc:
        return Reading(error=str(exc))
    if len(spans) + len(pushed) > MAX_INTERVALS:
        return Reading(error=f"The calendar has more than {MAX_INTERVALS} busy times in the booking window.")
    return Reading(spans=sorted(spans), pushed=pushed)


def read_calendar(url: str, *, zone: ZoneInfo, now: dt.datetime) -> Reading:
    """The calendar's busy spans, or why it could not be read (a message fit to store:
    it never contains the URL)."""
    try:
        data = fetching.fetch(url)
    except fetching.FetchError as exc:
        return Reading(error=str(exc))
    try:
        return Reading(spans=busy_spans(data, zone=zone, now=now))
    except ValueError as exc:
        return Reading(error=str(exc))


def busy_spans(data: bytes, *, zone: ZoneInfo, now: dt.datetime, pushed: list | None = None) -> list[Span]:
    """Busy (start, end) pairs, aware, sorted, of the events overlapping the window;
    with a `pushed` list, the appointments a clinic pushed there go to it instead."""
    starts, ends = window(now)
    try:
        calendar = Calendar.from_ical(data)
        occurrences = recurring_ical_events.of(calendar, components=["VEVENT"]).between(starts, ends)
    except Exception:  # noqa: BLE001 (a stranger's file: any parser failure means "not a calendar")
        raise ValueError("The address did not give a valid iCalendar (.ics) file.") from None
    spans = []
    for event in occurrences:
        if _is_free(event):
            continue
        span = _span(event, zone)
        if span is None or span[1] <= starts or span[0] >= ends:
            continue
        own = OWN_EVENT_UID.fullmatch(str(event.get("UID", ""))) if pushed is not None else None
        if own:
            pushed.append((own.group(1).lower(), span))
        else:
            spans.append(span)
        if len(spans) > MAX_INTERVALS:
            raise ValueError(f"The calendar has more than {MAX_INTERVALS} busy times in the booking window.")
    return sorted(spans)


def _is_free(event) -> bool:
    transparent = str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT"
    cancelled = str(event.get("STATUS", "")).upper() == "CANCELLED"
    return transparent or cancelled


def _span(event, zone: ZoneInfo) -> Span | None:
    start = event.get("DTSTART")
    if start is None:
        return None
    start = start.dt
    end_prop = event.get("DTEND")
    if end_prop is not None:
        end = end_prop.dt
    elif event.get("DURATION") is not None:
        end = start + event.get("DURATION").dt
    else:
        # RFC 5545: an all-day event without an end lasts its day; a timed one, no time.
        end = start + dt.timedelta(days=1) if not isinstance(start, dt.datetime) else start
    begins, finishes = _instant(start, zone), _instant(end, zone)
    return (begins, finishes) if finishes > begins else None


def _instant(value: dt.date | dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A date is its midnight in the clinic's zone; a floating time is in that zone."""
    if not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time(), tzinfo=zone)
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value
