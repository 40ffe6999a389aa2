"""Clinic-local calendar days and times, and the UTC instants the database stores.

A clinic's day is not always 24 hours long: on the day clocks spring forward it has
23, when they fall back 25. So a day's bounds are computed from local midnights, never
as `midnight + 24h`, and a local wall time is checked for existing at all."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

UTC = dt.UTC


class NonexistentLocalTime(ValidationError):
    """The local time falls in a spring-forward gap (e.g. 02:30 in Berlin on the
    last Sunday of March): no clock in the clinic ever shows it."""

    def __init__(self, day: dt.date, time: dt.time, zone: ZoneInfo) -> None:
        super().__init__(
            f"{time:%H:%M} does not exist on {day.isoformat()} in {zone.key}: the clocks go forward "
            "at that hour. Choose a time after the change.",
            code="nonexistent_local_time",
        )


def localize(day: dt.date, time: dt.time, zone: ZoneInfo, *, fold: int = 0) -> dt.datetime:
    """The aware UTC instant of `time` on `day` in `zone`.

    Raises NonexistentLocalTime for a time in a spring-forward gap. A time that
    happens twice (the fall-back hour) means its first occurrence unless fold=1."""
    naive = dt.datetime.combine(day, time).replace(fold=fold)
    local = naive.replace(tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None, fold=0) != naive.replace(fold=0):
        raise NonexistentLocalTime(day, time, zone)
    return instant


def local_day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC of the calendar day `day` in `zone`.

    Midnight can itself fall in a gap in a few zones (clocks jumping at 00:00); the
    day then starts at the first instant that exists, which is what a fold=0
    conversion of the missing midnight yields."""
    start = _first_instant(day, zone)
    end = _first_instant(day + dt.timedelta(days=1), zone)
    return start, end


def _first_instant(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone).astimezone(UTC)


def to_local(instant: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return instant.astimezone(zone)


def format_span(starts_at: dt.datetime, ends_at: dt.datetime, zone: ZoneInfo) -> str:
    """'09:00–09:30' in the clinic's time, for messages to staff."""
    return f"{to_local(starts_at, zone):%H:%M}\N{EN DASH}{to_local(ends_at, zone):%H:%M}"
