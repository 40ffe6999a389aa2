"""scripts/serve.py (`make run`): stopping it stops every process it started, the
workers and runserver with its autoreloader's child included, whether the signal
goes to serve.py alone or to its whole process group (Ctrl-C in a terminal)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.support.worker_harness import own_database

PROC = Path("/proc")
pytestmark = pytest.mark.skipif(not PROC.is_dir(), reason="reads the process table from /proc")


@pytest.fixture(scope="module")
def serve_env():
    with own_database("test_clinic_serve", ALLOWED_HOSTS="127.0.0.1") as env:
        yield env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def processes() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, start time) of every process."""
    table = {}
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(stat.parent.name)] = (int(fields[1]), fields[0], fields[19])
    return table


def descendants(root: int) -> dict[int, str]:
    """The processes below `root`, with their start times (so a reused pid is not taken for one)."""
    table = processes()
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _state, started) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = started
                frontier.append(pid)
    return found


def still_running(recorded: dict[int, str]) -> list[str]:
    table = processes()
    return [
        (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        for pid, started in recorded.items()
        if pid in table and table[pid][2] == started and table[pid][1] not in ("Z", "X")
    ]


def start_serving(env: dict[str, str]) -> tuple[subprocess.Popen, dict[int, str]]:
    port = free_port()
    serve = subprocess.Popen(  # noqa: S603 (our own script)
        [sys.executable, "scripts/serve.py", "127.0.0.1", str(port)],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a group of its own, as `make run` in a terminal
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert serve.poll() is None, "serve.py ended by itself"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310 (loopback)
                break
        except OSError:
            time.sleep(0.3)
    else:
        serve.kill()
        raise AssertionError("runserver never answered")
    return serve, descendants(serve.pid)


@pytest.mark.parametrize(
    ("number", "to_group"),
    [(signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGTERM, False), (signal.SIGHUP, False)],
    ids=["SIGINT", "SIGINT to the group", "SIGTERM", "SIGHUP"],
)
def test_a_stop_signal_ends_every_process_it_started(serve_env, number, to_group):
    serve, started = start_serving(serve_env)
    commands = still_running(started)
    try:
        # Two workers and runserver, whose autoreloader serves from a child of its own.
        assert sum("manage.py worker" in command for command in commands) == 2, commands
        assert sum("runserver" in command for command in commands) == 2, commands
        if to_group:
            os.killpg(serve.pid, number)
        else:
            serve.send_signal(number)
        assert serve.wait(timeout=60) == 0
        assert still_running(started) == []
    finally:
        if serve.poll() is None:
            serve.kill()
        for pid in started:
            if still_running({pid: started[pid]}):
                os.kill(pid, signal.SIGKILL)
