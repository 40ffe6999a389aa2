"""Parts 3 and 4: PostgreSQL restarted under load, the worker killed mid-batch."""

from __future__ import annotations

import collections
import contextlib
import json
import signal
import threading
import time
from pathlib import Path

import psycopg

from bench.soak import load
from bench.soak.checks import database_url, report, verdict
from bench.soak.servers import DEBIAN_POSTGRES, Cluster, app_environment, build, free_port, gunicorn, stop, worker

RECOVERY_LIMIT = 10.0  # seconds from PostgreSQL's return to the app serving again


def admin(server: dict, name: str | None = None) -> psycopg.Connection:
    """The database admin's connection (RLS does not apply): to count what was stored."""
    kwargs = {"host": server["host"], "dbname": name or server["name"], "user": server["admin_user"] or "postgres"}
    kwargs.update(server.get("options", {}))
    if server["port"]:
        kwargs["port"] = server["port"]
    return psycopg.connect(**kwargs, autocommit=True)


def database_restart(args, workdir: Path) -> bool:
    users, up, down, after = min(args.users, 24), 5.0, 8.0, 15.0
    print(f"\n== 3. PostgreSQL restart mid-load: {users} users; up {up:.0f} s, down {down:.0f} s, then {after:.0f} s")
    if not (DEBIAN_POSTGRES / "pg_ctl").exists():
        print(f"  needs Debian's PostgreSQL 15 in {DEBIAN_POSTGRES} (apt-get install postgresql-15)  FAIL")
        return False
    cluster = Cluster(free_port())
    try:
        cluster.create()
        options = ("--clinics", "4", "--switchers", "4")
        world = load.World(build("world", f"{args.database}_restart", workdir, *options, database_url=cluster.url))
        server = world.data["server"]
        env = app_environment(database_url(server), server["name"])
        with gunicorn(env, workdir / "gunicorn-3.log") as base:
            tally, marks = load.Tally(), {}
            runner = threading.Thread(
                target=load.run,
                args=(base, world),
                kwargs={"users": users, "seconds": 300, "tally": tally},
            )
            runner.start()
            _wait_for_ready(tally, users)
            time.sleep(up)
            marks["stopping"] = time.monotonic()
            cluster.stop()
            marks["stopped"] = time.monotonic()
            time.sleep(down)
            cluster.start()
            marks["back"] = time.monotonic()
            time.sleep(after)
            tally.stop.set()
            runner.join()
        # A request under way as PostgreSQL stops may fail in its last step, saving the
        # session (400, "session interrupted"): reported, not counted against the run.
        ok = report(tally, up + down + after, allow_503=True, in_flight=(marks["stopping"], marks["stopped"] + 0.5))
        ok = _outage(tally, marks) and ok
        with admin(server) as conn:
            ok = _bookings_kept(conn, tally) and ok
    finally:
        cluster.remove()
    return ok


def _wait_for_ready(tally: load.Tally, users: int, timeout: float = 120) -> None:
    """Until every user has signed in: the outage must find them signed in."""
    deadline = time.monotonic() + timeout
    while tally.ready < users and time.monotonic() < deadline:
        time.sleep(0.2)


def _outage(tally: load.Tally, marks: dict) -> bool:
    during = [e for e in tally.events if marks["stopping"] <= e[0] <= marks["back"]]
    unavailable = [e for e in tally.events if e[2] == 503]
    errors = collections.Counter(e[2] for e in during if e[2] >= 500)
    last_503 = max((e[0] for e in unavailable), default=marks["back"])
    recovery = max(0.0, last_503 - marks["back"])
    first_served = min((e[0] for e in tally.events if e[0] > marks["back"] and e[2] < 400), default=float("inf"))
    served_down = [
        e for e in tally.events if marks["stopped"] < e[0] < marks["back"] and e[2] < 400 and e[1] != "sign-in"
    ]
    ok = errors.get(500, 0) == 0 and bool(unavailable) and recovery <= RECOVERY_LIMIT and not served_down
    print(
        f"  while down: {len(during)} answers, {dict(sorted(errors.items()))}; "
        f"served while down: {len(served_down)}; after PostgreSQL was back: first page or API answer served "
        f"{first_served - marks['back']:.1f} s, last 503 {recovery:.1f} s "
        f"(limit {RECOVERY_LIMIT:.0f} s)  {verdict(ok)}"
    )
    return ok


def _bookings_kept(conn: psycopg.Connection, tally: load.Tally) -> bool:
    rows = conn.execute(
        "SELECT id::text, starts_at FROM appointments_appointment WHERE starts_at >= %s", [load.FIRST_SLOT]
    ).fetchall()
    stored = collections.Counter(starts_at.isoformat() for _, starts_at in rows)
    ids = {row[0] for row in rows}
    missing = [booked for booked in tally.acknowledged if booked not in ids]
    twice = [slot for slot, count in stored.items() if count > 1]
    unacknowledged = len(ids - set(tally.acknowledged))
    ok = not missing and not twice
    print(
        f"  bookings: {len(tally.acknowledged)} acknowledged (201), {len(missing)} of them missing, "
        f"{len(twice)} stored twice; {unacknowledged} stored without a 201 seen  {verdict(ok)}"
    )
    return ok


# The console provider's record of every text it accepted, and how soon a send left
# `sending` by the killed worker is settled against it (the product's default is 10
# minutes, for a provider call of up to 30 s).
LOST_SEND_SETTINGS = {"SMS_PROVIDER_TIMEOUT_SECONDS": "2", "SMS_LOST_SEND_AFTER_SECONDS": "5"}


def worker_kill(args, workdir: Path) -> bool:
    print(f"\n== 4. worker SIGKILLed in the middle of {args.texts} due confirmation texts, then restarted")
    data = build("texts", f"{args.database}_sms", workdir, "--clinics", "5", "--appointments", str(args.texts))
    server = data["server"]
    record = workdir / "provider.jsonl"
    record.unlink(missing_ok=True)
    env = app_environment(
        database_url(server),
        server["name"],
        SMS_BACKEND="console",
        SMS_CONSOLE_RECORD=str(record),
        LOG_LEVEL="WARNING",
        **LOST_SEND_SETTINGS,
    )
    log = workdir / "worker.log"
    with admin(server) as conn:
        first = worker(env, log)
        try:
            at_kill = _wait_for_sent(conn, args.texts // 3, first)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        left = _statuses(conn)
        handed = _handed_over(record)
        in_record = sum(1 for pair in _sending(conn) if handed[pair])
        print(f"  killed (SIGKILL) with texts {at_kill}; right after: {left}")
        print(f"  of those left 'sending', {in_record} were in the provider's record already")
        second = worker(env, log)
        try:
            waited = _wait_for_drained(conn)
        finally:
            stop(second, signal.SIGINT)
        return _each_sent_once(conn, record, args.texts, waited)


def _handed_over(record: Path) -> collections.Counter:
    """(sender, number) -> how many texts the provider accepted."""
    if not record.exists():
        return collections.Counter()
    entries = (json.loads(line) for line in record.read_text().splitlines())
    return collections.Counter((entry["from"], entry["to"]) for entry in entries)


def _sending(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return [
        tuple(row)
        for row in conn.execute(
            "SELECT from_number, to_number FROM messaging_smsmessage WHERE status = 'sending'"
        ).fetchall()
    ]


def _statuses(conn: psycopg.Connection) -> dict:
    return dict(conn.execute("SELECT status, count(*) FROM messaging_smsmessage GROUP BY 1 ORDER BY 1").fetchall())


def _wait_for_sent(conn: psycopg.Connection, target: int, process, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        statuses = _statuses(conn)
        if statuses.get("sent", 0) >= target:
            return statuses
        time.sleep(0.05)
    raise RuntimeError(f"the worker did not send {target} texts within {timeout:.0f} s: {_statuses(conn)}")


WAITING = (
    "SELECT (SELECT count(*) FROM messaging_confirmationrequest WHERE status = 'pending' AND due_at <= now()) "
    "+ (SELECT count(*) FROM messaging_smsmessage WHERE status IN ('queued', 'sending'))"
)


def _wait_for_drained(conn: psycopg.Connection, timeout: float = 200) -> float:
    """Until no text is due, queued or sending. Texts whose job or worker died with the
    killed worker get a new send job from the minute tick once stale
    (clinic.messaging.delivery); it is deferred here every 5 s rather than waiting
    for the clock's minute."""
    started = time.monotonic()
    next_tick = started
    while time.monotonic() - started < timeout:
        if conn.execute(WAITING).fetchone()[0] == 0:
            break
        if time.monotonic() >= next_tick:
            _tick(conn)
            next_tick = time.monotonic() + 5
        time.sleep(0.5)
    return time.monotonic() - started


def _tick(conn: psycopg.Connection) -> None:
    """Defer the minute tick now, as procrastinate's periodic deferrer would."""
    with contextlib.suppress(psycopg.errors.UniqueViolation):  # one is waiting already
        conn.execute(
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('sms', 'clinic.messaging.tasks.tick', 0, NULL, "
            "'sms-tick', %s::jsonb, NULL)::procrastinate_job_to_defer_v1])",
            ['{"timestamp": 0}'],
        )


EXPECTED = (
    "SELECT s.sender_number, p.phone FROM appointments_appointment a "
    "JOIN appointments_patient p ON p.organization_id = a.organization_id AND p.id = a.patient_id "
    "JOIN messaging_smssettings s ON s.organization_id = a.organization_id"
)


def _each_sent_once(conn: psycopg.Connection, record: Path, texts: int, waited: float) -> bool:
    """Each appointment's text in the provider's record exactly once (a clinic's
    sender and a patient's phone name one appointment here), and every message the
    app holds settled as sent."""
    handed = _handed_over(record)
    expected = [tuple(row) for row in conn.execute(EXPECTED).fetchall()]
    once = sum(1 for pair in expected if handed[pair] == 1)
    twice = sum(1 for pair in expected if handed[pair] > 1)
    lost = sum(1 for pair in expected if handed[pair] == 0)
    statuses = _statuses(conn)
    ok = len(expected) == texts and once == texts and statuses == {"sent": texts}
    print(f"  after the restart: drained in {waited:.0f} s; texts {statuses}")
    print(f"  provider record: {once} of {len(expected)} sent exactly once, {twice} twice or more, {lost} never")
    print(f"  doubled {twice}, lost {lost}, left unsettled {texts - statuses.get('sent', 0)}  {verdict(ok)}")
    return ok
