"""The real worker pushes to a real CalDAV server: `manage.py procrastinate worker`
processes on a database of their own, and Radicale on 127.0.0.1. A booking committed
in the clinic appears in the provider's calendar; a move rewrites it (same UID, higher
SEQUENCE); the stored password is a Fernet token, not the password."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.support.caldav import USERS
from tests.support.worker_harness import own_database, run_workers, shell_json, sql

pytestmark = pytest.mark.worker


@pytest.fixture
def worker_db():
    # A prefix no session database shares (the suite's is test_<DATABASE_URL's name>, and a
    # checkout whose database is called clinic_caldav must not have it dropped here).
    with own_database(
        "test_clinic_davpush",
        CALENDAR_CREDENTIALS_KEYS=settings.CALENDAR_CREDENTIALS_KEYS[0],
        CALDAV_ALLOW_HTTP="true",
        CALENDAR_FETCH_ALLOW_LOOPBACK="true",
    ) as env:
        yield env


def test_the_worker_pushes_a_booking_and_its_move_to_the_providers_calendar(worker_db, radicale):
    calendar = radicale.make_calendar("ada", "worker")
    seed = f"from tests.support.caldav_worker_seed import seed; seed({calendar!r}, {USERS['ada']!r})"
    clinic = shell_json(worker_db, seed)
    booked = shell_json(worker_db, f"from tests.support.caldav_worker_seed import book; book({clinic['org']!r})")
    uid = f"appointment-{booked['appointment']}@clinic"

    run_workers(worker_db)
    (event,) = radicale.event(calendar, uid, "ada").walk("VEVENT")
    assert (str(event["summary"]), event["sequence"]) == ("Visit", 0)
    first_start = event.decoded("dtstart")

    move = f"from tests.support.caldav_worker_seed import move; move({clinic['org']!r}, {booked['appointment']!r})"
    shell_json(worker_db, move)
    run_workers(worker_db)
    (event,) = radicale.event(calendar, uid, "ada").walk("VEVENT")
    assert event["sequence"] == 1 and (event.decoded("dtstart") - first_start).total_seconds() == 3600

    ((status, failures, token),) = sql(
        worker_db, "SELECT status, consecutive_failures, password_encrypted FROM calendars_caldavconnection"
    )
    assert (status, failures) == ("ok", "0")
    assert USERS["ada"] not in token and token.startswith("gAAAAA")
    assert sql(worker_db, "SELECT count(*) FROM calendars_caldavevent") == [["1"]]
    assert sql(
        worker_db,
        "SELECT DISTINCT status FROM procrastinate_jobs WHERE task_name LIKE 'clinic.calendars.%'",
    ) == [["succeeded"]]
