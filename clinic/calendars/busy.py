"""Reading a busy calendar: fetch its ICS (clinic.calendars.fetching) and turn it into
busy spans over the booking horizon, 30 days back and 180 ahead (the feeds' window).

- recurring events are expanded (`recurring-ical-events`: RRULE, RDATE, EXDATE and
  moved occurrences), in the event's own zone, so a weekly 09:00 stays 09:00 across a
  daylight saving change;
- events marked free (TRANSP:TRANSPARENT) and cancelled ones (STATUS:CANCELLED) do
  not block;
- an all-day event blocks its whole day(s) in the clinic's time zone; a floating time
  (no zone) is read in the clinic's zone too.

Nothing here touches the database: the worker fetches outside any transaction and
stores the result with services.busy_calendar_store()."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar

from clinic.calendars import fetching
from clinic.calendars.ics import window

# More than this many busy times in the window is not a personal calendar.
MAX_INTERVALS = 5000

Span = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class Reading:
    spans: list[Span] = field(default_factory=list)
    error: str = ""


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


def busy_spans(data: bytes, *, zone: ZoneInfo, now: dt.datetime) -> list[Span]:
    """Busy (start, end) pairs, aware, sorted, of the events overlapping the window."""
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
        if span is not None and span[1] > starts and span[0] < ends:
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
