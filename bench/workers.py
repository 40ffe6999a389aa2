"""What the worker benchmarks share (bench.sms_worker, bench.webhook_worker): real
`manage.py procrastinate worker` processes run until the queue is drained, the jobs
timed from procrastinate's own event timestamps (so process start-up is not counted),
and how busy the whole machine was meanwhile."""

from __future__ import annotations

import argparse
import os
import platform
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerRun:
    seconds: float  # last job finished - first job started
    worker_cpu: float  # CPU seconds of the worker processes, start-up included
    busy: float  # share of all cores busy during the run (workers, PostgreSQL, anything else)


def arguments(doc: str, *, jobs: str, noun: str) -> argparse.Namespace:
    """The worker benchmarks' options: `--<jobs>` per run, clinics, concurrency."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(f"--{jobs}", type=int, default=1000, help=f"{noun} per run (default %(default)s)")
    parser.add_argument("--clinics", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4, help="jobs at once per worker")
    return parser.parse_args()


def fresh_database(name: str, **environment: str) -> None:
    """Set Django up on database `name`, built again from nothing (roles, migrations)."""
    os.environ["DATABASE_NAME"] = name
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.update(environment)
    import django

    django.setup()
    from bench.database import rebuild_database

    rebuild_database()


def machine() -> str:
    cores = f"{os.cpu_count()} cores"
    return f"machine: {platform.node()} {platform.machine()}, {cores}, Python {platform.python_version()}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def run_workers(*, workers: int, concurrency: int, env: dict[str, str], task_name: str | None = None) -> WorkerRun:
    """`workers` worker processes until the queue is drained; `task_name` limits the
    timing to that task's jobs (others, such as the minute ticks, may run too)."""
    # Workers keep their connections (CONN_MAX_AGE), as a deployed worker should.
    env = {**os.environ, "LOG_LEVEL": "WARNING", "CONN_MAX_AGE": "60", **env}
    # Not --one-shot: with concurrency, one slot can find the queue empty while another
    # is still deferring jobs, and stop the worker early. The workers run until the
    # queue is drained, then are asked to stop.
    command = [sys.executable, "manage.py", "procrastinate", "worker", "-c", str(concurrency), "-p", "0.2"]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    machine_before = machine_cpu()
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        for _ in range(workers)
    ]
    wait_until_drained()
    for process in processes:
        process.send_signal(signal.SIGINT)
    for process in processes:
        process.wait(timeout=120)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = busy_share(machine_before, machine_cpu())
    worker_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return WorkerRun(seconds=job_seconds(task_name), worker_cpu=worker_cpu, busy=busy)


def job_seconds(task_name: str | None = None) -> float:
    from django.db import connections

    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT EXTRACT(EPOCH FROM max(e.at) FILTER (WHERE e.type = 'succeeded') "
            "- min(e.at) FILTER (WHERE e.type = 'started')) "
            "FROM procrastinate_events e JOIN procrastinate_jobs j ON j.id = e.job_id "
            "WHERE %(task)s::text IS NULL OR j.task_name = %(task)s",
            {"task": task_name},
        )
        return float(cursor.fetchone()[0])


def wait_until_drained(timeout: float = 1800) -> None:
    from django.db import connections

    # Jobs scheduled for later (a retry's backoff, a periodic tick) do not hold the run up.
    waiting = "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') AND scheduled_at IS NULL"
    deadline = time.monotonic() + timeout
    idle_checks = 0
    while time.monotonic() < deadline and idle_checks < 3:
        time.sleep(0.2)
        with connections["default"].cursor() as cursor:
            cursor.execute(waiting)
            idle_checks = idle_checks + 1 if cursor.fetchone()[0] == 0 else 0


def machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat (Linux)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except OSError:
        return 0, 0
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def start_workers(arguments: list[list[str]], env: dict[str, str]) -> list[subprocess.Popen]:
    """A `manage.py` worker process per entry of `arguments` (e.g.
    clinic.worker_queues.worker_arguments), left running; returns once each has
    registered with procrastinate (its first heartbeat), so start-up is not timed."""
    from django.db import connections

    env = {**os.environ, "LOG_LEVEL": "WARNING", "CONN_MAX_AGE": "60", **env}
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procrastinate_workers")
        before = cursor.fetchone()[0]
    processes = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for args in arguments
    ]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM procrastinate_workers")
            if cursor.fetchone()[0] >= before + len(processes):
                break
        time.sleep(0.2)
    return processes


def stop_workers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
