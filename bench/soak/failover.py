"""Part 6: the primary of a pg_auto_failover formation (scripts/ha/cluster.py) crashes
under load, the standby takes over, then the old primary comes back as a standby and
the roles are switched back, still under load.

The formation is the soak's own (its own directory and ports, not `make ha`'s). The
app runs as `make ha` runs it: two nodes (gunicorn each) behind HAProxy, round robin
(scripts/ha/balancer.py), the load sent to HAProxy. The nodes and the workers connect
with the multi-host DATABASE_URL, both database nodes with
`target_session_attrs=read-write`, and are never restarted. The crash is the
primary's machine dying: its keeper and its postmaster SIGKILLed together (a keeper
left alive would restart PostgreSQL in place). Checked: every answer while no primary
accepts writes is a 503, none a 500; no leak across clinics; every booking answered
201 exists afterwards, none twice (synchronous replication: what the primary
acknowledged was on the standby); every confirmation text the worker was sending
reached the provider exactly once; every booking's `appointment.created` event was
delivered to its clinic's webhook endpoint (a loopback receiver checking each
signature), none more often than the app attempted it (at least once, by design:
one whose success was answered as the primary died is sent again, its `webhook-id`
the same)."""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import requests

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
from bench.webhook_worker import Receiver
from scripts.ha import balancer

CLUSTER = ROOT / "scripts" / "ha" / "cluster.py"
# The webhook worker's call deadline: a delivery cut off by the crash is in flight for
# this plus the product's margin (clinic.api.webhooks.tasks.delivery_lease).
WEBHOOK_TIMEOUT_SECONDS = "2"


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
        f"\n== 6. primary crash and failover (pg_auto_failover, synchronous standby): {users} users through "
        f"HAProxy to two app nodes, the worker sending {args.texts} texts and the bookings' webhooks; then the "
        "old primary rejoins and the roles are switched back"
    )
    if not shutil.which("pg_autoctl") or not os.access(balancer.HAPROXY, os.X_OK):
        print("  needs pg_auto_failover and HAProxy (bash scripts/ensure_test_tools.sh --ha installs them)  FAIL")
        return False
    formation = Formation(workdir)
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        formation.run("start")
        print(f"  formation up in {time.monotonic() - started:.0f} s: {formation.run('state')}")
        name = f"{args.database}_failover"
        options = ("--clinics", "4", "--switchers", "4", "--webhooks", receiver.url)
        world = load.World(build("world", name, workdir, *options, database_url=formation.url(name)))
        receiver.secrets.update({clinic["webhook_path"]: clinic["webhook_secret"] for clinic in world.data["clinics"]})
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
        # The world's own worker: the bookings' webhook deliveries, to the receiver on loopback.
        webhook_env = app_environment(
            formation.url(name),
            server["name"],
            WEBHOOK_ALLOW_PRIVATE_URLS="true",
            WEBHOOK_TIMEOUT_SECONDS=WEBHOOK_TIMEOUT_SECONDS,
            LOG_LEVEL="WARNING",
        )
        marks: dict[str, float] = {}
        with contextlib.ExitStack() as nodes:
            # Two app nodes of one gunicorn worker each: the load of part 3's one server of two.
            ports = {
                node: _port(nodes.enter_context(gunicorn(env, workdir / f"gunicorn-6-{node}.log", workers=1)))
                for node in ("node1", "node2")
            }
            base = nodes.enter_context(haproxy(ports, workdir / "haproxy-6.log"))
            deliverer = worker(webhook_env, workdir / "worker-6-webhooks.log")
            nodes.callback(stop, deliverer)
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
                with admin(server) as conn:
                    webhooks_drained = _wait_for_deliveries(conn)
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
        with admin(server) as conn:
            ok = _each_event_delivered_once(conn, receiver, webhooks_drained) and ok
        ok = _both_nodes_served(workdir / "haproxy-6.log", ports) and ok
    finally:
        receiver.shutdown()
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


def _port(url: str) -> int:
    return int(url.rpartition(":")[2])


@contextmanager
def haproxy(ports: dict[str, int], log: Path) -> Iterator[str]:
    """HAProxy on a free port in front of the app nodes (`make ha`'s configuration);
    its URL once its health checks have found every node up."""
    listen = free_port()
    config = log.with_suffix(".cfg")
    config.write_text(balancer.config(listen, ports))
    with log.open("a") as out:
        process = subprocess.Popen([balancer.HAPROXY, "-db", "-f", str(config)], stdout=out, stderr=out)  # noqa: S603
    try:
        url, seen = f"http://127.0.0.1:{listen}", set()
        deadline = time.monotonic() + 30
        while seen != set(ports) and time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(requests.RequestException):
                seen.add(requests.get(f"{url}/healthz", timeout=5).headers.get(balancer.NODE_HEADER))
            time.sleep(0.1)
        if seen != set(ports):
            raise RuntimeError(f"HAProxy served from {seen} only (log: {log})")
        yield url
    finally:
        stop(process)


DELIVERIES = "SELECT status, count(*) FROM api_webhookdelivery GROUP BY 1 ORDER BY 1"


def _wait_for_deliveries(conn: psycopg.Connection, timeout: float = 480) -> float:
    """Until no delivery is pending. One whose job was lost with the primary (a
    booking committed, its job never deferred; or a delivery cut off in flight) is
    deferred again by the minute tick once OVERDUE_AFTER (5 minutes) late: the
    timeout leaves room for that."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not conn.execute("SELECT 1 FROM api_webhookdelivery WHERE status = 'pending' LIMIT 1").fetchone():
            break
        time.sleep(0.5)
    return time.monotonic() - started


def _each_event_delivered_once(conn: psycopg.Connection, receiver: Receiver, waited: float) -> bool:
    """Every booking stored has its event (one endpoint per clinic: one delivery each),
    every delivery succeeded, and the receiver got each event's webhook-id, correctly
    signed. Delivery is at least once (clinic/api/webhooks/delivery.py): a delivery
    whose POST was answered just as the primary died, its success never recorded, is
    sent again with the same webhook-id. A webhook-id received more often than the
    database counts attempts of its delivery is a send nobody accounted for: a failure."""
    statuses = dict(conn.execute(DELIVERIES).fetchall())
    attempts = {
        f"evt_{event.hex}": count
        for event, count in conn.execute("SELECT event_id, attempts FROM api_webhookdelivery").fetchall()
    }
    booked = conn.execute(
        "SELECT count(*) FROM appointments_appointment WHERE starts_at >= %s", [load.FIRST_SLOT]
    ).fetchone()[0]
    with receiver.lock:
        seen, bad = collections.Counter(receiver.ids), receiver.bad
    again = sum(1 for count in seen.values() if count > 1)
    unaccounted = sum(1 for event, count in seen.items() if count > attempts.get(event, 0))
    never = len(set(attempts) - set(seen))
    ok = (
        len(attempts) == booked == sum(statuses.values()) == statuses.get("succeeded", 0)
        and set(seen) == set(attempts)
        and not unaccounted
        and not bad
    )
    print(
        f"  webhooks: {booked} bookings stored, {len(attempts)} events, deliveries {statuses} (drained in "
        f"{waited:.0f} s after the load); receiver: {len(seen)} distinct webhook-ids correctly signed, "
        f"{never} never, {bad} badly signed; {again} received twice, each sent again after the crash cut off "
        f"the record of its success, {unaccounted} more often than attempted  {verdict(ok)}"
    )
    return ok


SERVED_BY = re.compile(r" app_nodes/(\S+) ")


def _both_nodes_served(log: Path, nodes) -> bool:
    """HAProxy's own log: how many requests each node served, and how many found no
    node up (HAProxy's own 503: its health checks had taken both out)."""
    served = collections.Counter(SERVED_BY.findall(log.read_text()))
    unserved = served.pop("<NOSRV>", 0)
    ok = set(served) == set(nodes) and min(served.values()) > 0 and not unserved
    print(f"  HAProxy: requests served by {dict(sorted(served.items()))}, {unserved} found no node up  {verdict(ok)}")
    return ok
