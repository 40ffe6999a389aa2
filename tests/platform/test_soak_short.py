"""Parts 1 and 2 of the soak (bench/soak), short: 10 users for 10 s against gunicorn,
directly and through PgBouncer in transaction mode, every id in every response
checked against its clinic. The rest of the suite proves isolation one request at a
time; this proves it with many threads and pooled connections on every change.

The soak runs as `make soak` does, in a process of its own, on the suite's server:
the one DATABASE_URL names, or else the embedded PostgreSQL the suite has started
(the soak's processes join it, as `manage.py` does)."""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys

import pytest
from django.conf import settings

from tests.support import pgbouncer
from tests.support.database import _drop_abandoned_test_databases, _drop_database

TIMEOUT = 300  # about 60 s on a busy 2-core machine; the margin is for slower ones


@pytest.fixture
def soak_database():
    """A database name of this process's own, dropped afterwards (the soak leaves its
    databases behind for a look after a failure). Ends in the pid, so databases of
    runs that were killed are recognised and dropped by the next run."""
    prefix = f"{settings.DATABASE_SERVER.name}_soak"
    _drop_abandoned_test_databases(prefix)
    name = f"{prefix}_{os.getpid()}"
    yield name
    _drop_database(name)


def test_no_clinic_sees_another_under_load_directly_or_through_pgbouncer(soak_database):
    if not pgbouncer.available():
        pytest.skip("pgbouncer is not installed (Debian: apt-get install pgbouncer; `make test` does it as root)")
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn is not installed (pip install -r requirements.txt)")
    command = [sys.executable, "-m", "bench.soak", "--parts", "1,2", "--duration", "10", "--users", "10"]
    command += ["--clinics", "5", "--no-tests", "--database", soak_database]

    returncode, output = _run(command)

    tail = output[-4000:]
    assert returncode == 0, f"the soak exited with {returncode}:\n{tail}"
    assert re.search(r"^part 1 isolation\s+PASS$", output, re.MULTILINE), tail
    assert re.search(r"^part 2 pgbouncer\s+PASS$", output, re.MULTILINE), tail
    assert re.findall(r"leaks (\d+), 5xx (\d+)", output) == [("0", "0"), ("0", "0")], tail


def _run(command: list[str]) -> tuple[int, str]:
    """Run the soak in a process group of its own, so that on a timeout its gunicorn
    and PgBouncer go too, not only the soak itself."""
    soak = subprocess.Popen(  # noqa: S603 (our own module)
        command,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = soak.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(soak.pid, signal.SIGTERM)
        try:
            output, _ = soak.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(soak.pid, signal.SIGKILL)
            output, _ = soak.communicate()
        pytest.fail(f"the soak took longer than {TIMEOUT} s:\n{output[-4000:]}")
    return soak.returncode, output
