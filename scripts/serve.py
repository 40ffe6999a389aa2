"""`make run`: the web server and the workers together, in the foreground: one worker
for texts alone and one for webhooks, calendars and housekeeping
(clinic/worker_queues.py: texts never wait behind a slow endpoint).

Ctrl-C, SIGTERM or SIGHUP (a closed terminal), or any of them ending, stops them all,
with whatever they started: each runs in a process group of its own (runserver's
autoreloader serves from a child process), and the whole group is asked to stop,
then killed if anything of it is still there after GRACE_SECONDS. The embedded
PostgreSQL is not started here (`make db` starts it, detached, before) and keeps
running; `make stop-db` stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, for clinic.worker_queues

from clinic.worker_queues import WORKERS, worker_arguments  # noqa: E402 (after the path)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
GRACE_SECONDS = 15

# Credentials only the setup commands need (the owner and audit roles); the web
# server and the worker run without them.
PRIVILEGED_VARIABLES = ("DB_OWNER_PASSWORD", "DB_AUDIT_PASSWORD")


def runtime_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment without privileged credentials, and DATABASE_URL without its
    user and password (a role allowed to create roles): the server and database only."""
    env = {name: value for name, value in environ.items() if name not in PRIVILEGED_VARIABLES}
    parts = urlsplit(env.get("DATABASE_URL", ""))
    if "@" in parts.netloc:
        # Everything after the last "@": one host or several (`h1:p1,h2:p2`), as given.
        env["DATABASE_URL"] = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return env


def main() -> int:
    host, port = sys.argv[1], sys.argv[2]
    # Confirmation links in texts point at this server unless configured otherwise.
    if not os.environ.get("SMS_LINK_BASE_URL") and not os.environ.get("SMS_WEBHOOK_BASE_URL"):
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 (a comparison)
        os.environ["SMS_LINK_BASE_URL"] = f"http://{shown_host}:{port}"
    manage = [sys.executable, "manage.py"]
    env = runtime_environment(os.environ)
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    for number in STOP_SIGNALS:
        signal.signal(number, stop)
    commands = [*([*manage, *worker_arguments(name)] for name in WORKERS), [*manage, "runserver", f"{host}:{port}"]]
    processes: list[subprocess.Popen] = []
    try:
        for command in commands:
            # A group of its own: a signal to the group reaches its children too.
            processes.append(subprocess.Popen(command, env=env, process_group=0))  # noqa: S603 (our own manage.py)
        while not stopping and all(process.poll() is None for process in processes):
            time.sleep(0.3)
    finally:
        stop_groups(processes)
    return 0 if stopping else 1


def stop_groups(processes: list[subprocess.Popen], grace: float = GRACE_SECONDS) -> None:
    """SIGINT to each process's group (what Ctrl-C sends: each program stops cleanly on
    it), then SIGKILL to whatever of the groups is left after `grace` seconds."""
    for process in processes:
        _signal_group(process.pid, signal.SIGINT)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    while any(group_alive(process.pid) for process in processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    for process in processes:
        # Only a group with members left: while it has them, its id is nobody else's.
        if group_alive(process.pid):
            _signal_group(process.pid, signal.SIGKILL)
    for process in processes:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass  # unkillable (stuck in the kernel): nothing more to do from here


def _signal_group(group: int, number: int) -> None:
    try:
        os.killpg(group, number)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone


def group_alive(group: int) -> bool:
    """Whether a process of `group` is still running (zombies waiting for their
    parent to read them do not count: they have stopped)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            state, _parent, process_group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue  # ended while we looked
        if int(process_group) == group and state not in ("Z", "X"):
            return True
    return False


if __name__ == "__main__":
    sys.exit(main())
