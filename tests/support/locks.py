"""Waiting, as the bootstrap superuser, for a transaction to block on another's lock."""

from __future__ import annotations

import time

from tests.support.database import admin_connection

WAIT_SECONDS = 10


def wait_until_a_backend_waits_for_a_lock() -> None:
    """Poll (as the superuser, who sees every backend) until a session of this
    database is blocked on a lock: the second booking is waiting for the first."""
    deadline = time.monotonic() + WAIT_SECONDS
    with admin_connection() as conn:
        conn.autocommit = True
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if row[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second booking never waited for the first")
