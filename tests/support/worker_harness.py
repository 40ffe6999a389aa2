"""Running real procrastinate workers from tests, against a database of their own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.conf import settings
from psycopg import sql as pg_sql

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


TEMPLATE_PREFIX = "test_clinic_template"
_template: list[str] = []  # this process's migrated database, once made


def migrated_template() -> str:
    """A database set up as `make db` does (roles, migrations as the owner, grants), made
    once per test process: migrating takes three `manage.py` processes and most of a
    worker test's setup, so each own_database() copies this one instead.
    Dropped at the end of the session (tests/conftest.py, pytest_sessionfinish)."""
    from tests.support.database import _drop_abandoned_test_databases, _drop_database, set_up_database

    if not _template:
        _drop_abandoned_test_databases(TEMPLATE_PREFIX)
        name = f"{TEMPLATE_PREFIX}_{os.getpid()}"
        _drop_database(name)
        set_up_database({"DATABASE_NAME": name})
        _template.append(name)
    return _template[0]


def drop_migrated_template() -> None:
    from tests.support.database import _drop_database

    while _template:
        _drop_database(_template.pop())


@contextmanager
def own_database(prefix: str, **env: str) -> Iterator[dict[str, str]]:
    """A fresh database set up as `make db` does, for worker processes (they see only
    committed rows, so these tests cannot run in a test transaction); dropped after.
    Yields the environment for `manage.py` commands and workers on it.

    A copy of migrated_template(): the same schema, rows and per-database grants.
    The database-level grants (CONNECT, TEMPORARY, CREATE) belong to the server's
    catalog, not the copy, so db_roles then grants them as `make db` does."""
    from django.core.management import call_command

    from tests.support.database import _admin_execute, _drop_abandoned_test_databases, _drop_database

    template = migrated_template()
    _drop_abandoned_test_databases(prefix)
    name = f"{prefix}_{os.getpid()}"
    _drop_database(name)
    _admin_execute(
        pg_sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(pg_sql.Identifier(name), pg_sql.Identifier(template))
    )
    call_command("db_roles", database_name=name, verbosity=0)
    env = {"DATABASE_NAME": name, "ALLOWED_HOSTS": "testserver", **env}
    try:
        yield env
    finally:
        _drop_database(name)


def shell(env: dict[str, str], code: str) -> str:
    from tests.support.database import manage_or_fail

    return manage_or_fail("shell", "-c", code, env=env)


def shell_json(env: dict[str, str], code: str):
    """Run `code` in `manage.py shell`; its last printed line, read as JSON."""
    return json.loads(shell(env, code).strip().splitlines()[-1])


def sql(env: dict[str, str], query: str) -> list:
    """Rows of `query` as the audit role (read-only, every clinic), as strings. The test
    settings name that role; the app's own processes never do."""
    code = (
        "import json; from django.db import connections; c = connections['audit'].cursor(); "
        f"c.execute({query!r}); print(json.dumps([list(map(str, r)) for r in c.fetchall()]))"
    )
    return shell_json({**env, "DJANGO_SETTINGS_MODULE": "tests.settings"}, code)


@contextmanager
def workers_running(env, arguments: list[list[str]]) -> Iterator[None]:
    """A `manage.py` worker process per entry of `arguments` (e.g. from
    clinic.worker_queues.worker_arguments), running until the block ends."""
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings", **env}
    workers = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", *args, "-p", "0.2"],
            cwd=settings.BASE_DIR,
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for args in arguments
    ]
    try:
        yield
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)
        for worker in workers:
            try:
                worker.wait(timeout=10)  # a job hanging on a silent server is not waited for
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def wait_until(check, *, what: str, timeout: float = 60) -> None:
    """Poll `check()` until it is true; fail after `timeout` seconds (a guard against a
    hung test, not a measure: the benchmarks time things)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting, after {timeout:g} s, for {what}")
        time.sleep(0.2)
