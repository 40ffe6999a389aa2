"""HTTP under gunicorn (2 workers × 4 threads, as production runs it on two cores), with
load from a bounded client on the same machine: each virtual user is a thread with its
own keep-alive session, sending its next request when the last one answered.

Pages: the day schedule and a patient's page (a signed-in staff session), the API's
appointment list and creating an appointment through the API (an API key). The server
and the client share the machine's two cores with PostgreSQL, so the figures are a
floor for what a real deployment does, and comparable run to run."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from bench.measure import percentile

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(database: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DATABASE_NAME": database,
        "DEBUG": "false",
        "SECURE_COOKIES": "false",
        "API_THROTTLE_RATE": "",  # measure the work, not the limiter
        "LOG_LEVEL": "WARNING",
    }
    command = [
        *(sys.executable, "-m", "gunicorn", "clinic.wsgi:application"),
        *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--timeout", "60"),
    ]
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 (our own server)
                if response.status == 200:
                    return server, url
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"gunicorn did not answer /healthz:\n{log.read_text()}")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def staff_session(org, user) -> dict[str, str]:
    """A signed-in session for `user` in `org`, as the sign-in leaves it."""
    from django.conf import settings
    from django.test import Client

    from tenancy.session import SESSION_ORG_KEY

    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_ORG_KEY] = str(org.id)
    session.save()
    return {settings.SESSION_COOKIE_NAME: session.session_key}


def _load(url: str, make_request, *, users: int, seconds: float) -> dict:
    import requests

    stop_at = time.monotonic() + seconds
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def user() -> None:
        with requests.Session() as session:
            mine, failed = [], []
            while time.monotonic() < stop_at:
                method, path, kwargs, expected = make_request()
                started = time.perf_counter()
                response = session.request(method, url + path, timeout=30, allow_redirects=False, **kwargs)
                mine.append((time.perf_counter() - started) * 1000)
                if response.status_code != expected:
                    failed.append(f"{response.status_code} {path}")
            with lock:
                latencies.extend(mine)
                errors.extend(failed)

    started = time.perf_counter()
    threads = [threading.Thread(target=user) for _ in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "rate": len(latencies) / took,
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "errors": errors,
    }


def http_load(url: str, *, cookies: dict, api_key: str, patient_id, booking, users: int, seconds: float) -> None:
    """`booking`: (patient ids, provider id, type id, first free start) for creating
    appointments after everything already booked (an earlier run's included)."""
    from clinic.appointments import guards

    patients, provider, kind, first_slot = booking
    auth = {"Authorization": f"Bearer {api_key}"}
    slots = itertools.count()
    slot_lock = threading.Lock()

    def create():
        with slot_lock:  # each request its own half hour: never a conflict
            number = next(slots)
        starts = first_slot + dt.timedelta(minutes=30 * number)
        body = {
            "patient": str(patients[number % len(patients)]),
            "provider": str(provider),
            "appointment_type": str(kind),
            "starts_at": starts.isoformat(),
            # Back-to-back half hours run into the night: confirm the booking guards' warnings.
            "override_warnings": list(guards.CODES),
        }
        return "POST", "/api/v1/appointments/", {"json": body, "headers": auth}, 201

    scenarios = {
        "day view (GET /)": lambda: ("GET", "/", {"cookies": cookies}, 200),
        "patient page": lambda: ("GET", f"/patients/{patient_id}/", {"cookies": cookies}, 200),
        "API list (50 appointments)": lambda: ("GET", "/api/v1/appointments/?limit=50", {"headers": auth}, 200),
        "API create appointment": create,
    }
    print(f"\nHTTP: gunicorn 2 workers x 4 threads, {users} virtual users, {seconds:.0f} s per page, same machine")
    print(f"{'page':30} {'req/s':>8} {'p50':>9} {'p95':>9} {'p99':>9} {'errors':>7}")
    for name, make in scenarios.items():
        result = _load(url, make, users=users, seconds=seconds)
        print(
            f"{name:30} {result['rate']:8.1f} {result['p50']:7.1f}ms {result['p95']:7.1f}ms "
            f"{result['p99']:7.1f}ms {len(result['errors']):7d}"
        )
        if result["errors"]:
            print(f"    first errors: {sorted(set(result['errors']))[:3]}")
