"""The real worker fetches busy calendars: `manage.py procrastinate worker` processes on a
database of their own, and ICS files served here on 127.0.0.1. A calendar is fetched
once it is added; the periodic tick fetches every clinic's calendars again, each in its
own clinic, replacing their busy times."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.busy import IcsServer, calendar, timed
from tests.support.worker_harness import own_database, run_workers, shell_json, sql

pytestmark = pytest.mark.worker

BUSY = (
    "SELECT organization_id, extract(hour FROM starts_at AT TIME ZONE 'Europe/Berlin') "
    "FROM calendars_busyinterval ORDER BY 1, 2"
)


@pytest.fixture
def worker_db():
    with own_database("test_busy_calendar_worker", CALENDAR_FETCH_ALLOW_LOOPBACK="true") as env:
        yield env


def at(hour: int) -> tuple[dt.datetime, dt.datetime]:
    day = dt.date.today() + dt.timedelta(days=3)
    return dt.datetime.combine(day, dt.time(hour)), dt.datetime.combine(day, dt.time(hour + 1))


def test_calendars_are_fetched_when_added_and_again_by_the_tick(worker_db):
    server = IcsServer()
    try:
        url_a = server.serve("/a.ics", calendar(timed("a", *at(9))))
        url_b = server.serve("/b.ics", calendar(timed("b", *at(14))))
        org_a, org_b = shell_json(
            worker_db, f"from tests.support.busy_worker_seed import seed; seed({url_a!r}, {url_b!r})"
        )
        run_workers(worker_db)
        # (The worker's periodic tick may also have run at start: a second fetch of each.)
        assert set(server.paths) == {"/a.ics", "/b.ics"}
        assert sorted(sql(worker_db, BUSY)) == sorted([[org_a, "9"], [org_b, "14"]])

        server.serve("/a.ics", calendar(timed("a", *at(11))))
        shell_json(worker_db, "from tests.support.busy_worker_seed import tick; tick()")
        run_workers(worker_db)
        assert sorted(sql(worker_db, BUSY)) == sorted([[org_a, "11"], [org_b, "14"]])
        assert sql(worker_db, "SELECT DISTINCT status, last_error FROM calendars_busycalendar") == [["ok", ""]]
    finally:
        server.close()
