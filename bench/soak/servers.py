"""The processes the soak starts, all on 127.0.0.1 and all stopped when it ends:
gunicorn, the worker, PgBouncer, and a throwaway PostgreSQL cluster it may stop."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scripts.serve import runtime_environment
from tests.support.pgbouncer import PGBOUNCER

ROOT = Path(__file__).resolve().parents[2]
DEBIAN_POSTGRES = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_environment(database_url: str, name: str, **extra: str) -> dict[str, str]:
    """What `make run` gives the app: no privileged credentials (scripts/serve.py),
    plain HTTP cookies, no API rate limit (the soak counts isolation, not throttling)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DATABASE_URL": database_url,
        "DATABASE_NAME": name,
        "DEBUG": "false",
        "SECURE_COOKIES": "false",
        "API_THROTTLE_RATE": "",
        "LOG_LEVEL": "ERROR",
        "CONN_MAX_AGE": "60",
        **extra,
    }
    return runtime_environment(env)


@contextmanager
def gunicorn(env: dict[str, str], log: Path, *, workers: int = 2, threads: int = 8) -> Iterator[str]:
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "clinic.wsgi:application", "--bind", f"127.0.0.1:{port}"),
        *("--workers", str(workers), "--threads", str(threads), "--timeout", "60"),
    ]
    with log.open("a") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until(lambda: _answers(f"{url}/healthz"), server, f"gunicorn (log: {log})")
        yield url
    finally:
        stop(server)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own server)
            return response.status == 200
    except OSError:
        return False


def _wait_until(ready, process: subprocess.Popen | None, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited early")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within {timeout:.0f} s")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def worker(env: dict[str, str], log: Path, concurrency: int = 4) -> subprocess.Popen:
    # `worker`: procrastinate's, started again after a database error (part 6's failover).
    command = [sys.executable, "manage.py", "worker", "-c", str(concurrency), "-p", "0.2"]
    with log.open("a") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _as_unprivileged(command: list[str], user: str | None = None) -> list[str]:
    """PostgreSQL and PgBouncer refuse to run as root: as root, run them as `user`, or
    postgres (Debian's package user), or else nobody."""
    if os.geteuid() != 0:
        return command
    user = user or ("postgres" if _user_exists("postgres") else "nobody")
    return ["runuser", "-u", user, "--", *command]


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextmanager
def pgbouncer(host: str, port: str, *, pool_size: int, users: list[str], log: Path | None = None) -> Iterator[int]:
    """PgBouncer in transaction mode on a loopback port in front of every database of
    `host:port`, with `pool_size` server connections per database and role."""
    directory = Path(tempfile.mkdtemp(prefix="soak-pgbouncer-"))
    directory.chmod(0o777)  # the unprivileged user writes its log and pid here
    listen = free_port()
    server = f"host={host}" + (f" port={port}" if port else "")
    (directory / "users.txt").write_text("".join(f'"{user}" ""\n' for user in sorted(users)))
    config = directory / "pgbouncer.ini"
    config.write_text(
        f"[databases]\n* = {server}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {listen}\n"
        f"unix_socket_dir =\nauth_type = trust\nauth_file = {directory / 'users.txt'}\npool_mode = transaction\n"
        f"default_pool_size = {pool_size}\nmax_client_conn = 200\nserver_reset_query =\n"
        f"ignore_startup_parameters = extra_float_digits,options\nlogfile = {directory / 'pgbouncer.log'}\n"
    )
    for path in directory.iterdir():
        path.chmod(0o644)
    # A server on a Unix socket (the embedded one) is reached as the socket directory's owner.
    owner = pwd.getpwuid(os.stat(host).st_uid).pw_name if host.startswith("/") else None
    # Its own messages go to its log; runuser's ("Session terminated") to nowhere.
    command = _as_unprivileged([PGBOUNCER, "-q", str(config)], owner)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        _wait_until(lambda: _listening(listen), process, "pgbouncer", timeout=15)
        yield listen
    finally:
        stop(process)
        if log is not None and (directory / "pgbouncer.log").exists():
            shutil.copy(directory / "pgbouncer.log", log)
        shutil.rmtree(directory, ignore_errors=True)


class Cluster:
    """A throwaway PostgreSQL 15 cluster (Debian's binaries) on a loopback port, with
    trust authentication, that the soak stops and starts at will."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.directory = Path(tempfile.mkdtemp(prefix="soak-pg-"))
        self.data = self.directory / "data"
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres" if _user_exists("postgres") else "nobody")

    def _ctl(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 (Debian's pg_ctl, our arguments)
            _as_unprivileged([str(DEBIAN_POSTGRES / "pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            stdout=subprocess.DEVNULL,
        )  # noqa: S603

    def create(self) -> None:
        initdb = [str(DEBIAN_POSTGRES / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"]
        subprocess.run(_as_unprivileged(initdb), check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        self.start()

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
        )
        self._ctl("-o", options, "-l", str(self.directory / "postgres.log"), "-w", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    def remove(self) -> None:
        try:
            self._ctl("-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


def build(what: str, name: str, workdir: Path, *options: str, database_url: str | None = None) -> dict:
    """Rebuild database `name` (roles, migrations, data) in a process of its own."""
    out = workdir / f"{name}-{what}.json"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DATABASE_NAME": name}
    if database_url:
        env["DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "bench.soak.data", what, "--out", str(out), *options]
    subprocess.run(command, cwd=ROOT, env=env, check=True)  # noqa: S603
    return json.loads(out.read_text())
