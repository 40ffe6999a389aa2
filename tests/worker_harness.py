"""Running real procrastinate workers from tests, against a database of their own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg
from django.conf import settings

WAITING_JOBS = (
    "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
    "AND (scheduled_at IS NULL OR scheduled_at <= now())"
)


def run_workers(env, count: int = 1, *, concurrency: int = 2, timeout: float = 120) -> str:
    """`count` workers at once until the queue is drained; their combined output.

    (`--one-shot` is not used: with concurrency, one slot can find the queue empty
    while another is still deferring follow-up jobs, and stop the worker early.)"""
    command = [sys.executable, "manage.py", "procrastinate", "worker", "-c", str(concurrency), "-p", "0.2"]
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings", **env}
    workers = [
        subprocess.Popen(  # noqa: S603
            command, cwd=settings.BASE_DIR, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(count)
    ]
    try:
        _wait_for_drained_queue(env, timeout)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)
    return "".join(worker.communicate(timeout=60)[0] for worker in workers)


def _wait_for_drained_queue(env, timeout: float) -> None:
    server = settings.DATABASE_SERVER
    deadline = time.monotonic() + timeout
    with psycopg.connect(**server.connect_kwargs(env["DATABASE_NAME"]), autocommit=True) as conn:
        while time.monotonic() < deadline:
            if conn.execute(WAITING_JOBS).fetchone()[0] == 0:
                time.sleep(0.5)  # a finishing job may still defer its follow-up
                if conn.execute(WAITING_JOBS).fetchone()[0] == 0:
                    return
            time.sleep(0.2)
    raise AssertionError(f"the workers did not drain the queue within {timeout} s")
