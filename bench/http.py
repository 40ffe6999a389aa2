"""Benchmark: what a signed-in request costs over HTTP, against the framework's floor.

gunicorn (2 workers x 4 threads, as bench.scale_http runs it) serves one clinic with
4 providers and a full day (64 appointments today) and 500 patients, ANALYZEd as
autovacuum would have long before a real page is read; 8 virtual users
(threads with keep-alive sessions, bench.scale_http._load) load one page at a time,
for a few seconds each, the pages interleaved round by round so that a busy machine
slows them all alike. Each page's rate is given against the anonymous `/healthz` of
the same run (Django and gunicorn at all), with p50 and p95 latencies at 8 users.

    .venv/bin/python -m bench.http            # or: make bench-http
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
from pathlib import Path

USERS = 8
# (page, path, signed in, target ratio against the anonymous /healthz or None)
PAGES = (
    ("/healthz, anonymous", "/healthz", False, None),
    ("/healthz, signed in", "/healthz", True, 0.25),
    ("day view, full day", "/", True, 0.05),
    ("/patients/", "/patients/", True, 0.12),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="rounds over all pages")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds of load per page and round")
    args = parser.parse_args()

    database = "clinic_bench_http"
    os.environ["DATABASE_NAME"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from bench.database import analyze, rebuild_database
    from bench.scale_http import start_server, stop_server

    rebuild_database()
    cookies = _signed_in_cookies()
    analyze()
    log = Path(tempfile.gettempdir()) / "clinic-bench-http.log"
    server, url = start_server(database, log)
    try:
        results = _measure(url, cookies, rounds=args.rounds, seconds=args.seconds)
    finally:
        stop_server(server)
    return _report(results, args)


def _signed_in_cookies() -> dict[str, str]:
    from django.contrib.auth import get_user_model

    from bench.generate import generate
    from bench.scale_http import staff_session

    (org,) = generate(clinics=1, providers=4, patients=500, days=3)
    return staff_session(org, get_user_model().objects.get(username="bench-owner-7"))


def _measure(url: str, cookies: dict, *, rounds: int, seconds: float) -> dict[str, list[dict]]:
    from bench.scale_http import _load

    results: dict[str, list[dict]] = {name: [] for name, *_ in PAGES}
    for _, path, signed_in, _ in PAGES:  # warm up every page once
        _load(url, _request(path, signed_in, cookies), users=USERS, seconds=0.5)
    for index in range(rounds):
        order = PAGES if index % 2 == 0 else tuple(reversed(PAGES))
        for name, path, signed_in, _ in order:
            results[name].append(_load(url, _request(path, signed_in, cookies), users=USERS, seconds=seconds))
    return results


def _request(path: str, signed_in: bool, cookies: dict):
    kwargs = {"cookies": cookies} if signed_in else {}
    return lambda: ("GET", path, kwargs, 200)


def _report(results: dict[str, list[dict]], args) -> int:
    def rate(name: str) -> float:
        runs = results[name]
        return sum(run["rate"] for run in runs) / len(runs)

    floor = rate(PAGES[0][0])
    machine = f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores"
    print(f"machine: {machine}, Python {platform.python_version()}")
    print(f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load average {os.getloadavg()[0]:.2f}")
    print(
        f"gunicorn 2 workers x 4 threads, {USERS} users, {args.rounds} rounds x {args.seconds:.0f} s per page, "
        "interleaved"
    )
    # p50 and p95: the median over the rounds of each round's percentile.
    print(f"{'page':24} {'req/s':>8} {'ratio':>7} {'target':>7} {'p50':>9} {'p95':>9} {'errors':>7}")
    missed = 0
    for name, _, _, target in PAGES:
        runs = results[name]
        p50 = sorted(run["p50"] for run in runs)[len(runs) // 2]
        p95 = sorted(run["p95"] for run in runs)[len(runs) // 2]
        errors = sum(len(run["errors"]) for run in runs)
        ratio = rate(name) / floor
        verdict = "" if target is None else ("PASS" if ratio >= target and not errors else "FAIL")
        missed += verdict == "FAIL"
        shown = "" if target is None else f"{target:.2f}"
        print(f"{name:24} {rate(name):8.1f} {ratio:6.3f}x {shown:>7} {p50:7.1f}ms {p95:7.1f}ms {errors:7d} {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
