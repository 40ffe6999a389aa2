"""A pg_auto_failover formation on this machine: a monitor, a primary and a standby with
synchronous replication, each a PostgreSQL 15 (Debian's) on a loopback port, run by
`pg_autoctl` as the `postgres` OS user (pg_autoctl refuses to run as root), with data,
configuration and logs under .data/ha/.

    python3 scripts/ha/cluster.py start      # create what is missing, run all three, wait for sync
    python3 scripts/ha/cluster.py stop       # stop the keepers and their PostgreSQL
    python3 scripts/ha/cluster.py url        # the app's multi-host DATABASE_URL
    python3 scripts/ha/cluster.py state      # the monitor's view: each node's state
    python3 scripts/ha/cluster.py crash      # SIGKILL the primary's keeper and postmaster
    python3 scripts/ha/cluster.py rejoin     # start the crashed node's keeper: it becomes a standby
    python3 scripts/ha/cluster.py switchover # planned change of primary (a fail back)

HA_DIR and HA_MONITOR_PORT, HA_NODE1_PORT, HA_NODE2_PORT choose another place and ports
(`make soak` part 6 builds a formation of its own that way).

Each node runs under `pg_autoctl run`, a keeper that talks to the monitor and restarts
its PostgreSQL; the monitor promotes the standby when the primary stops answering its
health checks. The monitor's checks are tightened (seconds, not pg_auto_failover's
default 20 s) so that a failover on this machine takes seconds.

Standard library only: `make ha` runs it before the virtualenv matters."""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HA_DIR = Path(os.environ.get("HA_DIR", ROOT / ".data" / "ha"))
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_AUTOCTL = shutil.which("pg_autoctl") or "/usr/bin/pg_autoctl"
RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"
OS_USER = "postgres"
DATABASE = "clinic"
MONITOR_PORT = int(os.environ.get("HA_MONITOR_PORT", "5450"))
NODE_PORTS = (int(os.environ.get("HA_NODE1_PORT", "5451")), int(os.environ.get("HA_NODE2_PORT", "5452")))

# The monitor's health checks (milliseconds; pgautofailover.* settings). A primary is
# failed over from once it has missed checks for node_considered_unhealthy_timeout,
# and the standby is promoted primary_demote_timeout later: the time the old primary's
# own keeper has to demote it should it be alive but cut off (it does so after its
# network_partition_timeout, KEEPER_PARTITION_SECONDS). pg_auto_failover's defaults
# are 20 s and 30 s; these are fast enough to measure on one machine, and keep the
# order that makes a split brain impossible: the cut-off primary demotes itself first.
MONITOR_SETTINGS = {
    "pgautofailover.health_check_period": 1000,
    "pgautofailover.health_check_timeout": 1000,
    "pgautofailover.health_check_max_retries": 1,
    "pgautofailover.health_check_retry_delay": 500,
    "pgautofailover.node_considered_unhealthy_timeout": 4000,
    "pgautofailover.primary_demote_timeout": 5000,
}
KEEPER_PARTITION_SECONDS = 3
WRITABLE_STATES = ("single", "wait_primary", "primary")


@dataclass(frozen=True)
class Node:
    name: str
    port: int

    @property
    def pgdata(self) -> Path:
        return HA_DIR / self.name

    @property
    def log(self) -> Path:
        return HA_DIR / f"{self.name}.log"

    @property
    def keeper_pid_file(self) -> Path:
        return HA_DIR / f"{self.name}.keeper.pid"


MONITOR = Node("monitor", MONITOR_PORT)
NODES = tuple(Node(f"node{number}", port) for number, port in enumerate(NODE_PORTS, start=1))
MONITOR_URL = f"postgres://autoctl_node@127.0.0.1:{MONITOR_PORT}/pg_auto_failover?sslmode=disable"


def database_url(user: str = "postgres", name: str = DATABASE) -> str:
    """Both nodes, the writable one chosen by libpq at each connection."""
    hosts = ",".join(f"127.0.0.1:{node.port}" for node in NODES)
    return f"postgresql://{user}@{hosts}/{name}?target_session_attrs=read-write"


def _environment() -> dict[str, str]:
    """pg_autoctl keeps its configuration and state under XDG directories: ours, in
    .data/ha, so nothing of a formation is left in the postgres user's home."""
    return {
        "PATH": f"{PG_BIN}:/usr/bin:/bin",
        "PG_CONFIG": "/usr/bin/pg_config",
        "XDG_CONFIG_HOME": str(HA_DIR / "config"),
        "XDG_DATA_HOME": str(HA_DIR / "share"),
        "XDG_RUNTIME_DIR": str(HA_DIR / "run"),
        "HOME": str(HA_DIR),
        "LANG": "C.UTF-8",
    }


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return [RUNUSER, "-u", OS_USER, "--", *command]
    return command


def autoctl(*args: str, check: bool = True, capture: bool = True) -> subprocess.CompletedProcess:
    command = _as_postgres([PG_AUTOCTL, *args])
    return subprocess.run(command, env=_environment(), check=check, capture_output=capture, text=True)  # noqa: S603


def _prepare_directories() -> None:
    for directory in (HA_DIR, HA_DIR / "config", HA_DIR / "share", HA_DIR / "run"):
        directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(directory, OS_USER, OS_USER)
    (HA_DIR / "run").chmod(0o700)


def _create_monitor() -> None:
    if (MONITOR.pgdata / "PG_VERSION").exists():
        return
    autoctl(
        *("create", "monitor", "--pgdata", str(MONITOR.pgdata), "--pgport", str(MONITOR.port)),
        *("--pgctl", str(PG_BIN / "pg_ctl"), "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl"),
    )


def _create_node(node: Node) -> None:
    if (node.pgdata / "PG_VERSION").exists() or _config_exists(node):
        return
    autoctl(
        *("create", "postgres", "--pgdata", str(node.pgdata), "--pgport", str(node.port), "--name", node.name),
        *("--pgctl", str(PG_BIN / "pg_ctl"), "--hostname", "127.0.0.1", "--listen", "127.0.0.1"),
        *("--auth", "trust", "--no-ssl", "--dbname", DATABASE, "--username", "postgres", "--monitor", MONITOR_URL),
    )
    partition = str(KEEPER_PARTITION_SECONDS)
    autoctl("config", "set", "--pgdata", str(node.pgdata), "timeout.network_partition_timeout", partition)


def _config_exists(node: Node) -> bool:
    return any((HA_DIR / "config").rglob(f"*{node.name}*/pg_autoctl.cfg"))


def _start_keeper(node: Node) -> None:
    """`pg_autoctl run` in the background, in a session of its own (it outlives make)."""
    if keeper_pid(node):
        return
    with node.log.open("a") as log:
        process = subprocess.Popen(  # noqa: S603 (pg_autoctl, our arguments)
            _as_postgres([PG_AUTOCTL, "run", "--pgdata", str(node.pgdata)]),
            env=_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    node.keeper_pid_file.write_text(f"{process.pid}\n")


def keeper_pid(node: Node) -> int | None:
    """The pid of the `runuser`/`pg_autoctl run` process we started for `node`, if alive."""
    try:
        pid = int(node.keeper_pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    if b"run" in command and any(part.endswith(b"pg_autoctl") for part in command):
        return pid
    return None


def _tune_monitor() -> None:
    # One statement per -c: ALTER SYSTEM runs outside a transaction block.
    _monitor_sql(*(f"ALTER SYSTEM SET {name} = {value}" for name, value in MONITOR_SETTINGS.items()))
    _monitor_sql("SELECT pg_reload_conf()")


def _monitor_sql(*statements: str) -> str:
    command = [str(PG_BIN / "psql"), "-X", "-qAt", "-h", "127.0.0.1", "-p", str(MONITOR.port), "-U", "postgres"]
    commands = [part for statement in statements for part in ("-c", statement)]
    result = subprocess.run(  # noqa: S603
        _as_postgres([*command, "-d", "pg_auto_failover", *commands]),
        env=_environment(),
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def states() -> dict[str, tuple[str, str]]:
    """node name -> (reported state, goal state), as the monitor sees them."""
    try:
        rows = _monitor_sql("SELECT nodename, reportedstate, goalstate FROM pgautofailover.node ORDER BY nodeid")
    except subprocess.CalledProcessError:
        return {}
    return {name: (reported, goal) for name, reported, goal in (row.split("|") for row in rows.splitlines() if row)}


def wait_for(predicate, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate(states()):
            return
        time.sleep(0.5)
    raise SystemExit(f"{what}: not reached within {timeout:.0f} s; monitor says {states()} (logs in {HA_DIR})")


def _settled(current: dict[str, tuple[str, str]]) -> bool:
    """One primary and one secondary, each where the monitor wants it."""
    reported = sorted(state for state, goal in current.values() if state == goal)
    return reported == ["primary", "secondary"]


def start() -> None:
    if os.geteuid() == 0 and not _user_exists(OS_USER):
        raise SystemExit(f"The OS user {OS_USER!r} is missing (apt-get install postgresql-15-auto-failover).")
    if not Path(PG_AUTOCTL).exists():
        raise SystemExit("pg_autoctl is missing: apt-get install postgresql-15-auto-failover")
    _prepare_directories()
    _create_monitor()
    _start_keeper(MONITOR)
    _wait_for_monitor()
    _tune_monitor()
    first, second = NODES
    _create_node(first)
    _start_keeper(first)
    wait_for(lambda s: s.get(first.name, ("",))[0] in ("single", "primary", "wait_primary"), "the first node")
    _create_node(second)
    _start_keeper(second)
    wait_for(_settled, "a primary and a synchronous standby")
    print(f"pg_auto_failover: {describe()}")


def _wait_for_monitor(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _monitor_sql("SELECT 1 FROM pgautofailover.node LIMIT 1")
            return
        except subprocess.CalledProcessError:
            time.sleep(0.5)
    raise SystemExit(f"the monitor did not start within {timeout:.0f} s (log: {MONITOR.log})")


def primary() -> Node | None:
    """The node the monitor has as primary (or as the lone writable wait_primary), and
    that is one by the monitor's own wish: a crashed primary keeps reporting "primary"
    while the monitor's goal for it is already "demoted"."""
    for node in NODES:
        reported, goal = states().get(node.name, ("", ""))
        if reported == goal and reported in WRITABLE_STATES:
            return node
    return None


def crash(node: Node) -> None:
    """The node's machine dies: its keeper and its postmaster SIGKILLed at once (a
    keeper left alive would only restart PostgreSQL where it was)."""
    keeper, postmaster = keeper_pid(node), _postmaster_pid(node)
    if keeper is not None:
        _signal_group(keeper, signal.SIGKILL)
    if postmaster is not None:
        os.kill(postmaster, signal.SIGKILL)


def rejoin(node: Node) -> None:
    """Start a crashed node's keeper again: pg_autoctl rewinds it and it follows the
    new primary as a standby."""
    _start_keeper(node)


def switchover() -> None:
    """A planned change of primary (the standby promoted, the primary demoted): how
    the old primary gets its role back once it has caught up."""
    autoctl("perform", "switchover", "--pgdata", str(NODES[0].pgdata))


def describe() -> str:
    return ", ".join(f"{name} {reported}" for name, (reported, _goal) in states().items())


def stop() -> None:
    """Stop the keepers one at a time (each stops its PostgreSQL): standbys first, then
    the primary, then the monitor. Stopping the primary while its standby runs would
    make the monitor fail over to it."""
    writable = primary()
    order = [node for node in NODES if node != writable] + ([writable] if writable else []) + [MONITOR]
    for node in order:
        pid = keeper_pid(node)
        if pid is not None:
            _signal_group(pid, signal.SIGTERM)
        _wait_gone(node)
        node.keeper_pid_file.unlink(missing_ok=True)
    print("pg_auto_failover stopped.")


def _wait_gone(node: Node, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (keeper_pid(node) or _postmaster_pid(node)):
        time.sleep(0.2)
    pid = keeper_pid(node)
    if pid is not None:
        _signal_group(pid, signal.SIGKILL)
    postmaster = _postmaster_pid(node)
    if postmaster is not None:
        os.kill(postmaster, signal.SIGQUIT)  # immediate shutdown: recovery at the next start


def _postmaster_pid(node: Node) -> int | None:
    try:
        pid = int((node.pgdata / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, 0)
    except (OSError, IndexError, ValueError):
        return None
    return pid


def postmaster_pid(node: Node) -> int | None:
    return _postmaster_pid(node)


def _signal_group(pid: int, number: int) -> None:
    try:
        os.killpg(pid, number)
    except (ProcessLookupError, PermissionError):
        pass


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["start", "stop", "url", "state", "crash", "rejoin", "switchover"])
    command = parser.parse_args().command
    if command == "start":
        start()
    elif command == "stop":
        stop()
    elif command == "url":
        print(database_url())
    elif command == "crash":
        node = primary()
        if node is None:
            raise SystemExit(f"no primary to crash: {describe()}")
        crash(node)
        print(node.name)
    elif command == "rejoin":
        for node in NODES:
            if keeper_pid(node) is None:
                rejoin(node)
        wait_for(_settled, "a primary and a synchronous standby again")
        print(describe())
    elif command == "switchover":
        switchover()
        wait_for(_settled, "the switchover")
        print(describe())
    else:
        print(json.dumps(states()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
