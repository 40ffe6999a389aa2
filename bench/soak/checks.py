"""Parts 1 and 2: tenant isolation under load, directly and through PgBouncer."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.soak import load
from bench.soak.servers import ROOT, app_environment, gunicorn, pgbouncer

ISOLATION_TESTS = ["tests/tenancy/test_rls_raw_sql.py", "tests/tenancy/test_context.py", "tests/api/test_isolation.py"]
# Its premise is a new server session, where the setting was never defined (NULL); a
# pooler hands out server sessions that were used before, where it reads '' after the
# transaction that set it ended. Both mean "no tenant" to the policies (NULLIF).
NEEDS_A_NEW_SERVER_SESSION = "tests/tenancy/test_context.py::test_a_fresh_connection_has_no_tenant_at_all"
ROLES = ("clinic_app", "clinic_owner", "clinic_auditor")


def database_url(server: dict, *, host: str | None = None, port: str | int | None = None) -> str:
    """A URL for the server the data was built on (or another host and port in front of it)."""
    host, port = host or server["host"], port if port is not None else server["port"]
    user = server["admin_user"] or "postgres"
    if host.startswith("/"):
        return f"postgresql://{user}@/{server['name']}?host={host}"
    return f"postgresql://{user}@{host}{f':{port}' if port else ''}/{server['name']}"


def isolation(world: load.World, args, workdir: Path) -> bool:
    print(f"\n== 1. isolation under load: gunicorn (2 workers x 8 threads), {args.users} users, {args.duration:.0f} s")
    caught = load.detector_catches_a_planted_leak(world)
    print(
        f"  leak check, tried on a page with another clinic's patient planted in it: caught {caught}  {verdict(caught)}"
    )
    env = app_environment(database_url(world.data["server"]), world.data["server"]["name"])
    with gunicorn(env, workdir / "gunicorn-1.log") as base:
        tally = load.run(base, world, users=args.users, seconds=args.duration)
    return report(tally, args.duration) and caught


def through_pgbouncer(world: load.World, args, workdir: Path) -> bool:
    server = world.data["server"]
    print(
        f"\n== 2. through PgBouncer (transaction pooling, {args.pool_size} server connections; "
        f"gunicorn 2 x 8 threads, {args.users} users), {args.duration:.0f} s"
    )
    users = sorted({*ROLES, server["admin_user"] or "postgres"})
    with pgbouncer(
        server["host"], server["port"], pool_size=args.pool_size, users=users, log=workdir / "pgbouncer.log"
    ) as port:
        env = app_environment(database_url(server, host="127.0.0.1", port=port), server["name"])
        with gunicorn(env, workdir / "gunicorn-2.log") as base:
            tally = load.run(base, world, users=args.users, seconds=args.duration)
        ok = report(tally, args.duration)
        if not args.no_tests:
            ok = _suite_through(database_url(server, host="127.0.0.1", port=port), args.database) and ok
    return ok


def _suite_through(url: str, prefix: str) -> bool:
    """The suite's isolation tests with every connection through PgBouncer."""
    url = url.rsplit("/", 1)[0] + f"/{prefix}_pytest"
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *ISOLATION_TESTS]
    command += ["--deselect", NEEDS_A_NEW_SERVER_SESSION]
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    ok = result.returncode == 0
    print(f"  suite's isolation tests through PgBouncer: {summary} ({time.monotonic() - started:.0f} s)  {verdict(ok)}")
    if not ok:
        print(result.stdout[-3000:], result.stderr[-2000:])
    return ok


def report(
    tally: load.Tally, seconds: float, *, allow_503: bool = False, in_flight=(0.0, 0.0), signed_out_allowed: int = 0
) -> bool:
    """The figures of a run; `in_flight`: when requests may be cut short (the database
    stopping), a (start, end) pair or a list of them."""
    windows = in_flight if isinstance(in_flight, list) else [in_flight]
    statuses = tally.statuses()
    count = len(tally.events)
    server_errors = sum(n for status, n in statuses.items() if status >= 500 and not (allow_503 and status == 503))
    pages = {kind for _, kind, _, _ in tally.events if kind.startswith("page")}
    api = {kind for _, kind, _, _ in tally.events if kind.startswith("api")}
    print(f"  requests {count} ({count / seconds:.0f}/s), statuses {dict(sorted(statuses.items()))}")
    print(
        f"  p95 {load.p95(tally):.0f} ms (pages {load.p95(tally, pages):.0f} ms, API {load.p95(tally, api):.0f} ms); "
        f"bookings acknowledged {len(tally.acknowledged)}; row ids checked in responses {tally.ids_checked}"
    )
    unexpected = [line for at, line in tally.unexpected if not any(start <= at <= end for start, end in windows)]
    interrupted = len(tally.unexpected) - len(unexpected)
    # `signed_out_allowed`: sessions a failover may end (see bench/soak/failover.py).
    signed_out = [
        line for line in unexpected if line.endswith(" 302 /accounts/login/") or "302 /accounts/login/?" in line
    ]
    if signed_out and len(signed_out) <= signed_out_allowed:
        unexpected = [line for line in unexpected if line not in signed_out]
        print(f"  signed out by a clinic switch whose answer the failover cut off: {len(signed_out)}")
    ok = not tally.leaks and not server_errors and not unexpected and count > 0
    print(
        f"  leaks {len(tally.leaks)}, 5xx {server_errors}, unexpected answers {len(unexpected)}"
        + (f" (+{interrupted} in flight as the database stopped)" if interrupted else "")
        + f"  {verdict(ok)}"
    )
    for line in [*tally.leaks[:10], *unexpected[:10]]:
        print(f"    {line}")
    return ok


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"
