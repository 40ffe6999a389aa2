"""Benchmark: the app's own CPU time per request, for the pages bench.http loads.

The same clinic as bench.http (4 providers, 64 appointments today, 500 patients), the
same settings as its gunicorn (DEBUG off), but each request is one call of the WSGI
application in this process, timed in this process's CPU time: the database server's
work is another process's, and a busy machine's waits are not the page's, so the
figures hold on a shared machine where bench.http's rates do not. The pages are
interleaved round by round; the median of each is printed. `--profile PAGE` then
profiles that page's requests (cProfile, by own time and by cumulative time).

    .venv/bin/python -m bench.request_cpu [--rounds 300] [--profile day]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import platform
import pstats
import statistics
import sys
import time

# (key, page, path, signed in)
PAGES = (
    ("healthz", "/healthz, anonymous", "/healthz", False),
    ("healthz-signed-in", "/healthz, signed in", "/healthz", True),
    ("day", "day view, full day", "/", True),
    ("patients", "/patients/", "/patients/", True),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=300, help="requests per page (interleaved)")
    parser.add_argument("--profile", choices=[key for key, *_ in PAGES], help="then profile this page")
    parser.add_argument(
        "--analyze", action="store_true", help="ANALYZE the data first (autovacuum would, given the time)"
    )
    parser.add_argument("--html", help="write each signed-in page to <this>.<key>.html (to compare two versions)")
    args = parser.parse_args()

    os.environ["DATABASE_NAME"] = os.environ.get("BENCH_DATABASE_NAME", "clinic_bench_request_cpu")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ["DEBUG"] = "false"
    os.environ["SECURE_COOKIES"] = "false"
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from bench.database import analyze, rebuild_database

    rebuild_database()
    call = _caller(_signed_in_cookie())
    if args.analyze:
        analyze()
    if args.html:
        for key, _, path, signed_in in PAGES[1:]:
            with open(f"{args.html}.{key}.html", "wb") as page:
                page.write(call(path, signed_in))
    samples, walls, databases = _measure(call, args.rounds)
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {args.rounds} requests per page, interleaved")
    # The database server's CPU time for the page (its backend process's, a mean: the
    # kernel counts it in ticks), and the wall time, which includes the machine's other load.
    print(f"{'page':24} {'CPU ms':>8} {'p90':>8} {'db CPU ms':>10} {'wall ms':>8}")
    for key, name, *_ in PAGES:
        cpu = sorted(samples[key])
        wall = statistics.median(walls[key])
        database = statistics.mean(databases[key]) if databases[key] else float("nan")
        print(f"{name:24} {statistics.median(cpu):8.2f} {cpu[int(len(cpu) * 0.9)]:8.2f} {database:10.2f} {wall:8.2f}")
    if args.profile:
        _profile(call, next(page for page in PAGES if page[0] == args.profile))
    return 0


def _signed_in_cookie() -> str:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bench.generate import generate
    from bench.scale_http import staff_session
    from clinic.appointments.models import Appointment
    from tenancy.context import tenant_context

    (org,) = generate(clinics=1, providers=4, patients=500, days=3)
    with tenant_context(org=org):
        count = Appointment.objects.on_day(timezone.now().date(), org.zone).count()
    assert count == 64, count
    cookies = staff_session(org, get_user_model().objects.get(username="bench-owner-7"))
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _caller(cookie: str):
    """One GET through the WSGI application, as gunicorn makes it: the body, or an error."""
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()

    def call(path: str, signed_in: bool) -> bytes:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if signed_in:
            environ["HTTP_COOKIE"] = cookie
        status = []
        body = b"".join(application(environ, lambda code, headers, *_: status.append(code)))
        if not status[0].startswith("200"):
            raise RuntimeError(f"GET {path}: {status[0]}")
        return body

    return call


def _backend_cpu_ms() -> tuple[int | None, float]:
    """The database backend serving this process's connection, and its CPU time so far
    (0 when it is not on this machine or the connection is closed)."""
    from django.db import connection

    if connection.connection is None:
        return None, 0.0
    pid = connection.connection.info.backend_pid
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None, 0.0
    return pid, (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _measure(call, rounds: int) -> tuple[dict[str, list[float]], ...]:
    for _, _, path, signed_in in PAGES:  # warm up
        for _ in range(5):
            call(path, signed_in)
    samples: dict[str, list[float]] = {key: [] for key, *_ in PAGES}
    walls: dict[str, list[float]] = {key: [] for key, *_ in PAGES}
    databases: dict[str, list[float]] = {key: [] for key, *_ in PAGES}
    for index in range(rounds):
        order = PAGES if index % 2 == 0 else tuple(reversed(PAGES))
        for key, _, path, signed_in in order:
            backend, backend_started = _backend_cpu_ms()
            started, started_wall = time.process_time(), time.perf_counter()
            call(path, signed_in)
            samples[key].append((time.process_time() - started) * 1000)
            walls[key].append((time.perf_counter() - started_wall) * 1000)
            backend_after, backend_ended = _backend_cpu_ms()
            if backend is not None and backend_after == backend:  # the same connection throughout
                databases[key].append(backend_ended - backend_started)
    return samples, walls, databases


def _profile(call, page) -> None:
    _, name, path, signed_in = page
    print(f"\nprofile of 100 requests: {name}")
    profile = cProfile.Profile(time.process_time)  # CPU time: the waits are not the page's
    profile.enable()
    for _ in range(100):
        call(path, signed_in)
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(35)
    stats.sort_stats("cumulative").print_stats(60)
    if os.environ.get("BENCH_PROFILE_DUMP"):
        stats.dump_stats(os.environ["BENCH_PROFILE_DUMP"])


if __name__ == "__main__":
    sys.exit(main())
