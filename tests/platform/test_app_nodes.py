"""Two app nodes behind HAProxy, as `make ha` runs them (scripts/ha/balancer.py): real
gunicorn servers on a database of their own, a real HAProxy with the generated
configuration on free ports. Requests go round robin to both nodes with no sticky
session, the sign-in made through one holds on the other (sessions live in the
database), and what one node writes the other reads at once."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings

from scripts.ha.balancer import HAPROXY, NODE_HEADER, config
from tests.support.worker_harness import own_database, shell_json

pytestmark = pytest.mark.skipif(
    not os.access(HAPROXY, os.X_OK),
    reason="needs HAProxy (Debian's haproxy; `make test` installs it when run as root)",
)

PASSWORD = "correct-horse-battery-staple"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# A clinic whose owner signs in, and an API key to book with (services only: one write path).
SEED = f"""
import datetime as dt, json
from django.contrib.auth import get_user_model
from clinic.api.services import api_key_create
from clinic.appointments.models import AppointmentType, Provider
from clinic.appointments.services import patient_create
from tenancy.context import tenant_context
from tenancy.services import organization_create
owner = get_user_model().objects.create_user(username="nodes-owner", email="nodes@example.test", password="{PASSWORD}")
org = organization_create(name="Two Nodes Clinic", slug="two-nodes", timezone="UTC", owner=owner)
with tenant_context(org=org):
    provider = Provider.objects.create(name="Dr Node")
    kind = AppointmentType.objects.create(name="Visit", default_duration=30)
    patient = patient_create(
        first_name="Ada", last_name="Node", date_of_birth=dt.date(1980, 1, 1), phone="+14155550100"
    )
    _, key = api_key_create(name="nodes", created_by=owner)
print(json.dumps({{"key": key, "provider": str(provider.id), "type": str(kind.id), "patient": str(patient.id)}}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited early:\n{log.read_text()}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet, or still loading the app
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within 60 s:\n{log.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def nodes() -> Iterator[dict]:
    """The balancer's URL, each node's access log, and the seeded clinic."""
    workdir = Path(tempfile.mkdtemp(prefix="app-nodes-"))
    processes: list[subprocess.Popen] = []
    try:
        # One SECRET_KEY, named, for both nodes and the seeding, as every node of a
        # deployment has: what one signs (a session, a tenant proof), the other reads.
        # This process's own: db_roles gave the database the tenant proof's key from it.
        secret = {"SECRET_KEY": settings.SECRET_KEY}
        with own_database("test_clinic_nodes", ALLOWED_HOSTS="127.0.0.1", **secret) as env:
            seeded = shell_json(env, SEED)
            node_env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "clinic.settings",
                **env,
                "DEBUG": "false",
                "SECURE_COOKIES": "false",
                "API_THROTTLE_RATE": "",
            }
            ports, logs = {}, {}
            for name in ("node1", "node2"):
                ports[name], logs[name] = _free_port(), workdir / f"{name}.access.log"
                command = [
                    *(sys.executable, "-m", "gunicorn", "clinic.wsgi:application"),
                    *("--bind", f"127.0.0.1:{ports[name]}", "--workers", "1", "--threads", "4"),
                    *("--access-logfile", str(logs[name])),
                ]
                with (workdir / f"{name}.log").open("w") as out:
                    processes.append(
                        subprocess.Popen(command, cwd=settings.BASE_DIR, env=node_env, stdout=out, stderr=out)  # noqa: S603
                    )
                _wait_for(f"http://127.0.0.1:{ports[name]}/healthz", processes[-1], workdir / f"{name}.log")
            listen = _free_port()
            (workdir / "haproxy.cfg").write_text(config(listen, ports, check_interval_ms=200))
            with (workdir / "haproxy.log").open("w") as out:
                processes.append(
                    subprocess.Popen([HAPROXY, "-db", "-f", str(workdir / "haproxy.cfg")], stdout=out, stderr=out)  # noqa: S603
                )
            base = f"http://127.0.0.1:{listen}"
            _wait_for(f"{base}/healthz", processes[-1], workdir / "haproxy.log")
            _wait_until_both_up(base)
            yield {"base": base, "logs": logs, **seeded}
    finally:
        for process in reversed(processes):
            _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_until_both_up(base: str) -> None:
    """Until HAProxy's health checks have found both nodes: it has served from each."""
    seen: set[str] = set()
    deadline = time.monotonic() + 30
    while seen != {"node1", "node2"} and time.monotonic() < deadline:
        seen.add(requests.get(f"{base}/healthz", timeout=5).headers[NODE_HEADER])
    assert seen == {"node1", "node2"}, f"HAProxy served only from {seen}"


def _sign_in(base: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/accounts/login/", timeout=10)
    token = CSRF.search(page.text).group(1)
    answer = browser.post(
        f"{base}/accounts/login/",
        data={"username": "nodes-owner", "password": PASSWORD, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[:500]
    assert not answer.headers["Location"].startswith("/accounts/login/")
    return browser


def _access_lines(log: Path, path: str, expected: int) -> int:
    """The node's access log lines for GET `path`, once there are `expected` of them or
    10 s have passed: gunicorn writes a request's line after its answer has gone."""
    deadline = time.monotonic() + 10
    while True:
        count = sum(1 for line in log.read_text().splitlines() if f"GET {path} " in line)
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.1)


def test_requests_alternate_between_the_nodes_and_the_session_holds_on_both(nodes):
    browser = _sign_in(nodes["base"])
    served_by = []
    for _ in range(6):
        page = browser.get(f"{nodes['base']}/patients/", allow_redirects=False, timeout=10)
        # Signed in on whichever node: the patient list, not a redirect to the sign-in page.
        assert page.status_code == 200, (page.status_code, page.headers.get("Location"))
        assert "Ada" in page.text
        served_by.append(page.headers[NODE_HEADER])
    assert set(served_by) == {"node1", "node2"}
    assert all(one != other for one, other in zip(served_by, served_by[1:], strict=False)), served_by
    # The nodes' own access logs agree with the header: each served its share.
    for name in ("node1", "node2"):
        assert _access_lines(nodes["logs"][name], "/patients/", served_by.count(name)) == served_by.count(name)


def test_a_booking_made_through_one_node_is_read_through_the_other_at_once(nodes):
    base, api = nodes["base"], requests.Session()
    api.headers["Authorization"] = f"Bearer {nodes['key']}"
    booked = api.post(
        f"{base}/api/v1/appointments/",
        json={
            "patient": nodes["patient"],
            "provider": nodes["provider"],
            "appointment_type": nodes["type"],
            "starts_at": "2031-03-04T10:00:00+00:00",
            "override_warnings": ["in_past", "outside_working_hours", "provider_day_off", "night_time"],
        },
        timeout=10,
    )
    assert booked.status_code == 201, booked.text
    writer, appointment = booked.headers[NODE_HEADER], booked.json()["id"]

    # Round robin: the next request goes to the other node, with no wait in between.
    read = api.get(f"{base}/api/v1/appointments/{appointment}/", timeout=10)
    assert read.status_code == 200, read.text
    assert read.headers[NODE_HEADER] != writer
    assert read.json()["starts_at"].startswith("2031-03-04T10:00")

    # And a person signed in through the balancer sees it on each node's page.
    browser = _sign_in(base)
    readers = set()
    for _ in range(2):
        page = browser.get(f"{base}/appointments/{appointment}/", allow_redirects=False, timeout=10)
        assert page.status_code == 200, (page.status_code, page.headers.get("Location"))
        assert "Ada" in page.text
        readers.add(page.headers[NODE_HEADER])
    assert readers == {"node1", "node2"}
