"""Part 6: the primary of a pg_auto_failover formation (scripts/ha/cluster.py) crashes
under load, the standby takes over, then the old primary comes back as a standby and
the roles are switched back, still under load.

The formation is the soak's own (its own directory and ports, not `make ha`'s). The
app (gunicorn) and the worker connect with the multi-host DATABASE_URL, both nodes
with `target_session_attrs=read-write`, and are never restarted. The crash is the
primary's machine dying: its keeper and its postmaster SIGKILLed together (a keeper
left alive would restart PostgreSQL in place). Checked: every answer while no primary
accepts writes is a 503, none a 500; no leak across clinics; every booking answered
201 exists afterwards, none twice (synchronous replication: what the primary
acknowledged was on the standby); every confirmation text the worker was sending
reached the provider exactly once."""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.soak import load
from bench.soak.checks import report, verdict
from bench.soak.recovery import (
    LOST_SEND_SETTINGS,
    _bookings_kept,
    _each_sent_once,
    _statuses,
    _wait_for_drained,
    _wait_for_ready,
    admin,
)
from bench.soak.servers import ROOT, app_environment, build, free_port, gunicorn, stop, worker

CLUSTER = ROOT / "scripts" / "ha" / "cluster.py"


class Formation:
    """scripts/ha/cluster.py on a directory and ports of the soak's own."""

    def __init__(self, workdir: Path) -> None:
        directory = workdir / "ha"
        directory.mkdir(exist_ok=True)
        directory.chmod(0o755)
        workdir.chmod(0o755)  # the postgres user reaches its data inside
        self.env = {
            **os.environ,
            "HA_DIR": str(directory),
            "HA_MONITOR_PORT": str(free_port()),
            "HA_NODE1_PORT": str(free_port()),
            "HA_NODE2_PORT": str(free_port()),
        }

    def run(self, command: str) -> str:
        result = subprocess.run(  # noqa: S603 (our own script)
            [sys.executable, str(CLUSTER), command], env=self.env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"cluster.py {command}: {result.stdout}{result.stderr}")
        return result.stdout.strip()

    def url(self, name: str) -> str:
        base, _, query = self.run("url").partition("?")
        return f"{base.rsplit('/', 1)[0]}/{name}?{query}"

    def promoted(self, other_than: str) -> bool:
        """Whether a node other than `other_than` is the primary, as the monitor wants it."""
        states = json.loads(self.run("state") or "{}")
        return any(
            name != other_than and reported == goal and reported in ("primary", "wait_primary")
            for name, (reported, goal) in states.items()
        )


def failover(args, workdir: Path) -> bool:
    users, up, after = min(args.users, 24), 5.0, 10.0
    print(
        f"\n== 6. primary crash and failover (pg_auto_failover, synchronous standby): {users} users, "
        f"the worker sending {args.texts} texts; then the old primary rejoins and the roles are switched back"
    )
    if not shutil.which("pg_autoctl"):
        print("  needs pg_auto_failover's pg_autoctl (apt-get install postgresql-15-auto-failover)  FAIL")
        return False
    formation = Formation(workdir)
    try:
        started = time.monotonic()
        formation.run("start")
        print(f"  formation up in {time.monotonic() - started:.0f} s: {formation.run('state')}")
        name = f"{args.database}_failover"
        options = ("--clinics", "4", "--switchers", "4")
        world = load.World(build("world", name, workdir, *options, database_url=formation.url(name)))
        sms = build(
            "texts", f"{name}_sms", workdir, "--clinics", "5", "--appointments", str(args.texts),
            database_url=formation.url(f"{name}_sms"),
        )  # fmt: skip
        server = world.data["server"]
        env = app_environment(formation.url(name), server["name"])
        record = workdir / "provider-6.jsonl"
        worker_env = app_environment(
            formation.url(sms["server"]["name"]),
            sms["server"]["name"],
            SMS_BACKEND="console",
            SMS_CONSOLE_RECORD=str(record),
            LOG_LEVEL="WARNING",
            **LOST_SEND_SETTINGS,
        )
        marks: dict[str, float] = {}
        with gunicorn(env, workdir / "gunicorn-6.log") as base:
            tally = load.Tally()
            runner = threading.Thread(
                target=load.run, args=(base, world), kwargs={"users": users, "seconds": 600, "tally": tally}
            )
            runner.start()
            _wait_for_ready(tally, users)
            time.sleep(up)
            sender = worker(worker_env, workdir / "worker-6.log")
            try:
                sent_before = _wait_for_some_sent(sms["server"], args.texts // 5, sender)
                marks["crash"] = time.monotonic()
                crashed = formation.run("crash")
                _wait_until(lambda: formation.promoted(other_than=crashed), 120)
                marks["promoted"] = time.monotonic()
                time.sleep(after)
                marks["rejoining"] = time.monotonic()
                formation.run("rejoin")
                marks["rejoined"] = time.monotonic()
                time.sleep(after / 2)
                marks["switching"] = time.monotonic()
                back = formation.run("switchover")
                marks["switched"] = time.monotonic()
                time.sleep(after)
                tally.stop.set()
                runner.join()
                with admin(sms["server"]) as conn:
                    drained = _wait_for_drained(conn)
            finally:
                stop(sender)
        print(
            f"  crashed {crashed} (keeper and postmaster SIGKILLed) with texts {sent_before}; monitor promoted the "
            f"standby {marks['promoted'] - marks['crash']:.1f} s later; old primary back as standby in "
            f"{marks['rejoined'] - marks['rejoining']:.1f} s; switched back in "
            f"{marks['switched'] - marks['switching']:.1f} s: {back}"
        )
        # Requests under way at the crash may fail in their last step (saving the
        # session: 400) until the standby is promoted; as in part 3, not counted.
        windows = [(marks["crash"], marks["promoted"]), (marks["switching"], marks["switched"] + 1.0)]
        # A clinic switch gives the session a new key and deletes the old one. One
        # committed as the primary died, whose answer was lost (503), leaves the
        # client holding the deleted key: signed out. As many as there were switches
        # answered 503 are allowed, and counted; the user signs in again.
        cut_switches = sum(1 for _, kind, status, _ in tally.events if kind == "switch" and status == 503)
        ok = report(
            tally,
            time.monotonic() - marks["crash"] + up,
            allow_503=True,
            in_flight=windows,
            signed_out_allowed=cut_switches,
        )
        ok = _write_gaps(tally, marks) and ok
        with admin(server) as conn:
            ok = _bookings_kept(conn, tally) and ok
        with admin(sms["server"]) as conn:
            ok = _each_sent_once(conn, record, args.texts, drained) and ok
    finally:
        try:
            formation.run("stop")
        except RuntimeError as error:
            print(f"  stopping the formation: {error}")
    return ok


def _wait_for_some_sent(server: dict, target: int, process, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    with admin(server) as conn:
        while time.monotonic() < deadline and process.poll() is None:
            statuses = _statuses(conn)
            if statuses.get("sent", 0) >= target:
                return statuses
            time.sleep(0.05)
    raise RuntimeError(f"the worker did not send {target} texts within {timeout:.0f} s")


def _wait_until(ready, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"not reached within {timeout:.0f} s")


def _write_gaps(tally: load.Tally, marks: dict) -> bool:
    """The longest time without a successful booking: from the crash until bookings
    succeed again, and during the switch back (bookings go on at the old primary until
    it is drained); what requests sent in the crash's gap were answered."""
    ok = True
    windows = (
        ("crash", marks["crash"], marks["rejoining"]),
        ("switch back", marks["switching"], marks["switched"] + 5),
    )
    for label, start, end in windows:
        booked = sorted(at for at, kind, status, _ in tally.events if kind == "api: book" and status == 201)
        in_window = [start, *(at for at in booked if start < at <= end)]
        gaps = list(zip(in_window, in_window[1:], strict=False)) or [(start, end)]
        gap_start, gap_end = max(gaps, key=lambda gap: gap[1] - gap[0])
        longest = gap_end - gap_start
        # The answers to the requests sent within that longest gap.
        during = [e for e in tally.events if e[0] - e[3] >= gap_start and e[0] <= gap_end]
        statuses = collections.Counter(e[2] for e in during)
        gap_ok = longest < 60 and statuses.get(500, 0) == 0
        ok = ok and gap_ok
        print(
            f"  {label}: longest time without a booking {longest:.1f} s (from {gap_start - start:.1f} s after it); "
            f"requests sent within it: {len(during)}, answered {dict(sorted(statuses.items()))}  {verdict(gap_ok)}"
        )
    return ok
