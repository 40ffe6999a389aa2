"""`make run`: the web server and the workers together, in the foreground: one worker
for texts alone and one for webhooks, calendars and housekeeping
(clinic/worker_queues.py: texts never wait behind a slow endpoint). Ctrl-C (or any
process ending) stops them all. The embedded PostgreSQL keeps running; `make stop-db`
stops it."""

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

# Credentials only the setup commands need (the owner and audit roles); the web
# server and the worker run without them.
PRIVILEGED_VARIABLES = ("DB_OWNER_PASSWORD", "DB_AUDIT_PASSWORD")


def runtime_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment without privileged credentials, and DATABASE_URL without its
    user and password (a role allowed to create roles): the server and database only."""
    env = {name: value for name, value in environ.items() if name not in PRIVILEGED_VARIABLES}
    if "@" in urlsplit(env.get("DATABASE_URL", "")).netloc:
        parts = urlsplit(env["DATABASE_URL"])
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port:
            netloc += f":{parts.port}"
        env["DATABASE_URL"] = urlunsplit(parts._replace(netloc=netloc))
    return env


def main() -> int:
    host, port = sys.argv[1], sys.argv[2]
    # Confirmation links in texts point at this server unless configured otherwise.
    if not os.environ.get("SMS_LINK_BASE_URL") and not os.environ.get("SMS_WEBHOOK_BASE_URL"):
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 (a comparison)
        os.environ["SMS_LINK_BASE_URL"] = f"http://{shown_host}:{port}"
    manage = [sys.executable, "manage.py"]
    env = runtime_environment(os.environ)
    processes = [
        *(subprocess.Popen([*manage, *worker_arguments(name)], env=env) for name in WORKERS),  # noqa: S603 (our own manage.py)
        subprocess.Popen([*manage, "runserver", f"{host}:{port}"], env=env),  # noqa: S603
    ]
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(process.poll() is None for process in processes):
        time.sleep(0.3)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT if os.name == "posix" else signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
