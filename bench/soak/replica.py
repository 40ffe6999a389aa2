"""Part 7: a read replica under load (tenancy.replica).

A throwaway PostgreSQL 15 primary and a streaming hot standby of it (pg_basebackup -R),
the app with DATABASE_URL on the primary and DATABASE_REPLICA_URL on both nodes with
target_session_attrs=prefer-standby (as `make ha` sets it), and
the virtual users of part 1 against it (the API clients' lists read from the standby).
Beside them:
- the replica's lag, sampled throughout: from a WAL position on the primary to its
  replay on the standby;
- read-your-writes: staff sessions creating a patient and searching for it at once
  (a list read that may go to the standby) must find it every time; a session that
  wrote nothing, searching at the same moment, may not (how often it did not is the
  lag a reader would have seen);
- every response checked for other clinics' ids, as in part 1;
- the standby's own count of transactions: the reads it served."""

from __future__ import annotations

import random
import shutil
import statistics
import subprocess
import threading
import time
import uuid
from pathlib import Path

import psycopg
import requests

from bench.soak import load
from bench.soak.checks import database_url, report, verdict
from bench.soak.servers import DEBIAN_POSTGRES, Cluster, _as_unprivileged, app_environment, build, free_port, gunicorn


class Standby:
    """A hot standby of `primary`, on a loopback port of its own."""

    def __init__(self, primary: Cluster) -> None:
        self.port = free_port()
        self.directory = Path(primary.directory.parent / f"{primary.directory.name}-standby")
        self.directory.mkdir()
        shutil.chown(self.directory, primary.directory.owner())
        self.data = self.directory / "data"
        copy = [str(DEBIAN_POSTGRES / "pg_basebackup"), "-D", str(self.data), "-X", "stream", "-R", "-c", "fast"]
        copy += ["-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"]
        subprocess.run(_as_unprivileged(copy), check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        # hot_standby_feedback: the primary's vacuum keeps what a running read still needs,
        # rather than the standby cancelling the read to replay it.
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c hot_standby=on "
            "-c hot_standby_feedback=on"
        )
        self._ctl("-o", options, "-l", str(self.directory / "postgres.log"), "-w", "start")

    def _ctl(self, *args: str) -> None:
        command = _as_unprivileged([str(DEBIAN_POSTGRES / "pg_ctl"), "-D", str(self.data), *args])
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # noqa: S603

    def remove(self) -> None:
        try:
            self._ctl("-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.directory, ignore_errors=True)


def read_replica(args, workdir: Path) -> bool:
    users = min(args.users, 24)
    seconds = args.duration
    print(f"\n== 7. read replica: a streaming standby, {users} users and 4 read-your-writes sessions, {seconds:.0f} s")
    if not (DEBIAN_POSTGRES / "pg_basebackup").exists():
        print(f"  needs Debian's PostgreSQL 15 in {DEBIAN_POSTGRES} (apt-get install postgresql-15)  FAIL")
        return False
    primary = Cluster(free_port())
    standby = None
    try:
        primary.create()
        options = ("--clinics", "4", "--switchers", "4")
        world = load.World(build("world", f"{args.database}_replica", workdir, *options, database_url=primary.url))
        server = world.data["server"]
        standby = Standby(primary)
        # Both nodes, the standby preferred: the form `make ha` gives the app.
        replica_url = (
            f"postgresql://postgres@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/{server['name']}"
            "?target_session_attrs=prefer-standby"
        )
        env = app_environment(database_url(server), server["name"], DATABASE_REPLICA_URL=replica_url)
        served_before = _transactions(standby, server["name"])
        with gunicorn(env, workdir / "gunicorn-7.log") as base:
            tally, lag, probes = load.Tally(), [], _Probes()
            deadline = time.monotonic() + seconds
            helpers = [threading.Thread(target=_sample_lag, args=(primary, standby, deadline, lag), daemon=True)]
            helpers += [
                threading.Thread(target=_read_your_writes, args=(base, world, clinic, deadline, probes, n), daemon=True)
                for n, clinic in enumerate(world.data["clinics"])
            ]
            for helper in helpers:
                helper.start()
            load.run(base, world, users=users, seconds=seconds, tally=tally)
            for helper in helpers:
                helper.join(timeout=60)
        served = _transactions(standby, server["name"]) - served_before
        ok = report(tally, seconds)
        ok = _lag_report(lag) and ok
        ok = probes.report() and ok
        print(f"  transactions served by the standby during the run: {served}  {verdict(served > 0)}")
        ok = ok and served > 0
    finally:
        if standby is not None:
            standby.remove()
        primary.remove()
    return ok


def _transactions(standby: Standby, name: str) -> int:
    with psycopg.connect(host="127.0.0.1", port=standby.port, user="postgres", dbname="postgres") as conn:
        row = conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", [name])
        return row.fetchone()[0]


def _sample_lag(primary: Cluster, standby: Standby, deadline: float, samples: list) -> None:
    """From a WAL position taken on the primary to its replay on the standby, every 0.2 s."""
    with (
        psycopg.connect(host="127.0.0.1", port=primary.port, user="postgres", dbname="postgres", autocommit=True) as p,
        psycopg.connect(host="127.0.0.1", port=standby.port, user="postgres", dbname="postgres", autocommit=True) as s,
    ):
        while time.monotonic() < deadline:
            position = p.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
            started = time.perf_counter()
            while not s.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [position]).fetchone()[0]:
                time.sleep(0.001)
            samples.append(time.perf_counter() - started)
            time.sleep(0.2)


def _lag_report(samples: list[float]) -> bool:
    if not samples:
        print("  replica lag: no samples  FAIL")
        return False
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    print(
        f"  replica lag ({len(samples)} samples): median {statistics.median(samples) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"
    )
    return True


class _Probes:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.writes = 0
        self.own_misses: list[str] = []
        self.other_misses = 0
        self.foreign: list[str] = []
        self.errors: list[str] = []

    def report(self) -> bool:
        ok = self.writes > 0 and not self.own_misses and not self.foreign and not self.errors
        print(
            f"  read-your-writes: {self.writes} patients created and searched for at once by their session, "
            f"missing {len(self.own_misses)}; another session of the clinic, searching at the same moment, "
            f"missed {self.other_misses}; other clinics' rows {len(self.foreign)}; errors {len(self.errors)}"
            f"  {verdict(ok)}"
        )
        for line in [*self.own_misses[:5], *self.foreign[:5], *self.errors[:5]]:
            print(f"    {line}")
        return ok


def _read_your_writes(base: str, world: load.World, clinic: dict, deadline: float, probes: _Probes, seed: int) -> None:
    """One staff member who writes then reads, another of the clinic who only reads."""
    rng = random.Random(seed)  # noqa: S311 (load, not secrets)
    try:
        writer, reader = _signed_in(base, world, clinic["staff"][0]), _signed_in(base, world, clinic["staff"][-1])
        # The reader's sign-in wrote: its session reads from the primary for a few
        # seconds (REPLICA_READ_YOUR_WRITES_SECONDS), which the load's first seconds cover.
        while time.monotonic() < deadline:
            name = f"Lag{uuid.uuid4().hex[:10]}"
            body = {"first_name": "Probe", "last_name": name, "date_of_birth": "1980-01-01", "phone": "+14155550123"}
            created = _api(writer, base, "POST", "patients/", body)
            if created.status_code != 201:
                raise AssertionError(f"create: {created.status_code} {created.text[:200]}")
            new_id = created.json()["id"]
            own, other = _search(writer, base, name), _search(reader, base, name)
            owners = {world.tenant_owner.get(row["id"], clinic["id"]) for row in own + other}
            foreign = sorted(owner for owner in owners if owner != clinic["id"])
            with probes.lock:
                probes.writes += 1
                if new_id not in {row["id"] for row in own}:
                    probes.own_misses.append(f"{clinic['name']}: {new_id} missing from its own session's search")
                probes.other_misses += new_id not in {row["id"] for row in other}
                probes.foreign.extend(foreign)
            time.sleep(rng.uniform(0.05, 0.3))
    except (requests.RequestException, AssertionError, KeyError, ValueError) as exc:
        with probes.lock:
            probes.errors.append(f"{clinic['name']}: {type(exc).__name__}: {exc}")


def _signed_in(base: str, world: load.World, username: str) -> requests.Session:
    session = requests.Session()
    # A connection per request: a kept-alive one may sit idle past gunicorn's keep-alive
    # while the other session of the pair waits, and be closed under the next request.
    session.headers["Connection"] = "close"
    page = session.get(f"{base}/accounts/login/", timeout=30)
    token = load.CSRF.search(page.text).group(1)
    data = {"username": username, "password": world.password, "csrfmiddlewaretoken": token}
    response = session.post(f"{base}/accounts/login/", data=data, allow_redirects=False, timeout=30)
    if response.status_code != 302:
        raise AssertionError(f"sign-in of {username}: {response.status_code}")
    return session


def _api(session: requests.Session, base: str, method: str, path: str, body: dict) -> requests.Response:
    # No Idempotency-Key: its record is a write, which would keep a search on the primary.
    headers = {"X-CSRFToken": session.cookies.get("csrftoken", "")}
    return session.request(method, f"{base}/api/v1/{path}", json=body, headers=headers, timeout=30)


def _search(session: requests.Session, base: str, name: str) -> list[dict]:
    response = _api(session, base, "POST", "patients/search/", {"q": name})
    if response.status_code != 200:
        raise AssertionError(f"search: {response.status_code} {response.text[:200]}")
    return response.json()["results"]
