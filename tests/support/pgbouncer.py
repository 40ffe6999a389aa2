"""PgBouncer in transaction mode on a loopback port, in front of the test database,
for tests that must hold through a connection pooler (Debian's `pgbouncer`
package; `make test` installs it when it can)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connections

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def available() -> bool:
    return os.access(PGBOUNCER, os.X_OK)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _config(directory: Path, port: int, pool_size: int) -> Path:
    params = connections["default"].settings_dict
    server = f"host={params['HOST']} dbname={params['NAME']}" + (f" port={params['PORT']}" if params["PORT"] else "")
    users = {params["USER"] for params in (connections[alias].settings_dict for alias in connections)}
    (directory / "users.txt").write_text("".join(f'"{user}" ""\n' for user in sorted(users)))
    config = directory / "pgbouncer.ini"
    config.write_text(
        f"""[databases]
{params["NAME"]} = {server}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory / "users.txt"}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 100
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = {directory / "pgbouncer.log"}
pidfile = {directory / "pgbouncer.pid"}
"""
    )
    return config


@contextmanager
def running(pool_size: int = 1):
    """Yield connection keyword arguments (as the runtime role) for a PgBouncer in
    transaction mode with `pool_size` server connections."""
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    directory.chmod(0o777)  # the unprivileged user writes its log and pid here
    port = _free_port()
    config = _config(directory, port, pool_size)
    command = [PGBOUNCER, "-q", str(config)]
    if os.geteuid() == 0:
        command[1:1] = ["-u", _unprivileged_user()]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        _wait_for(port, process, directory)
        params = connections["default"].settings_dict
        yield {"host": "127.0.0.1", "port": port, "dbname": params["NAME"], "user": params["USER"]}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(directory, ignore_errors=True)


def _unprivileged_user() -> str:
    """PgBouncer refuses to run as root and drops to another user: the owner of the
    server's socket directory (the embedded server's own user) if it listens on one,
    else nobody."""
    host = connections["default"].settings_dict["HOST"]
    if host.startswith("/"):
        return pwd.getpwuid(os.stat(host).st_uid).pw_name
    return "nobody"


def _wait_for(port: int, process: subprocess.Popen, directory: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (directory / "pgbouncer.log").read_text() if (directory / "pgbouncer.log").exists() else ""
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"pgbouncer exited: {output}{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("pgbouncer did not start listening within 10 s")
