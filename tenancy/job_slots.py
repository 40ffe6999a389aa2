"""A clinic's places for running jobs of one kind at once (tenancy.jobs' `in_flight`).

Without a bound, one clinic could fill every worker slot: fifteen webhook endpoints
that accept a connection and never answer, one booking, and the worker spends its
capacity waiting on them while every other clinic's work queues behind. So a job of a
bounded kind first takes one of its clinic's `limit` slots, a row of JobSlot; when all
are held it does not run, and is deferred again a moment later without holding a
worker slot meanwhile.

Why rows and not procrastinate's `lock`: a lock lets one job of its name run at a
time, and a job waiting for its retry (a failing endpoint's next attempt, hours away)
holds the lock back for every later job of that name, so one bad endpoint would stall
the clinic's deliveries for hours. Why not PostgreSQL advisory locks: they belong to a
server session, which PgBouncer in transaction mode hands to other clients between
transactions. A row is a claim any connection sees.

A slot is leased, not just held: `held_until` is past the longest the job can take
(its outbound calls have total deadlines), so the slot of a worker killed mid-job
frees itself. Claims and releases are made in the clinic's tenant context (the table
has row-level security like any tenant table) and commit without waiting for the
disk: a claim lost in a crash of PostgreSQL only frees a slot early."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from tenancy.context import tenant_context

CLAIM_SQL = """
INSERT INTO tenancy_jobslot (id, organization_id, kind, slot, holder, held_until)
SELECT gen_random_uuid(), %(org)s, %(kind)s, free.slot, %(holder)s, now() + make_interval(secs => %(lease)s)
  FROM generate_series(0, %(limit)s - 1) AS free(slot)
 WHERE NOT EXISTS (SELECT 1 FROM tenancy_jobslot held
                    WHERE held.organization_id = %(org)s AND held.kind = %(kind)s
                      AND held.slot = free.slot AND held.held_until > now())
 ORDER BY free.slot
 LIMIT 1
ON CONFLICT (organization_id, kind, slot) DO UPDATE
   SET holder = EXCLUDED.holder, held_until = EXCLUDED.held_until
 WHERE tenancy_jobslot.held_until <= now()
RETURNING slot
"""
# Two jobs racing for the same free slot: the second waits for the first's insert,
# then finds the slot held (the DO UPDATE's WHERE fails) and gets no row, so the bound
# is never exceeded; it tries again with its postponed copy.

RELEASE_SQL = """
DELETE FROM tenancy_jobslot WHERE organization_id = %s AND kind = %s AND slot = %s AND holder = %s
"""


def _unhurried_commit() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO off")


def claim(org_id: uuid.UUID, kind: str, *, limit: int, lease_seconds: float) -> tuple[int, uuid.UUID] | None:
    """One of the clinic's `limit` slots for `kind`, as (slot, holder); None if all
    are held."""
    holder = uuid.uuid4()
    params = {"org": org_id, "kind": kind, "holder": holder, "lease": lease_seconds, "limit": limit}
    with tenant_context(org=org_id), connection.cursor() as cursor:
        _unhurried_commit()
        cursor.execute(CLAIM_SQL, params)
        row = cursor.fetchone()
    return None if row is None else (row[0], holder)


def release(org_id: uuid.UUID, kind: str, slot: int, holder: uuid.UUID) -> None:
    """Give the slot back, unless its lease ran out and another job holds it now."""
    with tenant_context(org=org_id), connection.cursor() as cursor:
        _unhurried_commit()
        cursor.execute(RELEASE_SQL, [org_id, kind, slot, holder])


@contextmanager
def held(org_id: uuid.UUID, kind: str, *, limit: int, lease_seconds: float) -> Iterator[bool]:
    """True inside while this job holds one of the clinic's slots for `kind`; False
    if none was free (the caller does not run the job)."""
    taken = claim(org_id, kind, limit=limit, lease_seconds=lease_seconds)
    if taken is None:
        yield False
        return
    try:
        yield True
    finally:
        release(org_id, kind, *taken)


def retry_delay() -> float:
    """Seconds before a job that found no free slot is tried again: spread out, so
    a clinic's waiting jobs do not all come back at the same moment."""
    return random.uniform(1.0, 3.0)  # noqa: S311 (spreading, not secrecy)
