"""`make soak`: tenant isolation and recovery under load, against real processes on
127.0.0.1. Exits non-zero on any leak, lost or doubled write, or 5xx; each part prints
its figures and PASS or FAIL.

1. isolation: 20 clinics; 50 virtual users (staff of one clinic, staff switching
   between two, API clients) against gunicorn (2 workers, threads) for --duration s;
   every id in every response belongs to the user's active clinic.
2. the same through PgBouncer in transaction mode with fewer server connections than
   app threads; then the suite's isolation tests with DATABASE_URL on PgBouncer.
3. PostgreSQL restarted mid-load (a throwaway cluster of the soak's own): 503 while it
   is down, served again within 10 s of its return, every acknowledged booking kept once.
4. the worker SIGKILLed in the middle of 500 due confirmation texts, then restarted:
   each text handed to the provider exactly once.
5. bad input: the API and the SMS webhooks fuzzed (malformed, oversized, mistyped,
   unsigned; duplicates at once): no 5xx, each answer its case's 4xx, and nothing
   stored but the valid writes.
6. failover: a pg_auto_failover formation's primary crashes under load (bookings, staff
   sessions, through HAProxy to two app nodes; the worker sending texts and webhooks):
   503 only until the standby is promoted, every acknowledged booking kept once, every
   text sent once, every booking's webhook event delivered once; then the old primary
   rejoins as a standby and the roles are switched back.
7. read replica: a streaming standby of the soak's own, the app's lists reading from
   it under load: the replica's lag measured, no other clinic's row in any answer, and
   a session that wrote always reads its write.

    make soak                          # or: .venv/bin/python -m bench.soak --short
    .venv/bin/python -m bench.soak --parts 1,3 --duration 30
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.soak import checks, failover, fuzz, recovery, replica
from bench.soak.load import World
from bench.soak.servers import build

NAME = "clinic_soak"  # the databases' names start with it (--database)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load in parts 1 and 2")
    parser.add_argument("--short", action="store_true", help="15 s of load, for a quick check")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--clinics", type=int, default=20)
    parser.add_argument("--pool-size", type=int, default=4, help="PgBouncer server connections (part 2)")
    parser.add_argument("--texts", type=int, default=500, help="due confirmation texts (part 4)")
    parser.add_argument("--parts", default="1,2,3,4,5,6,7")
    parser.add_argument("--no-tests", action="store_true", help="part 2 without the suite's tests")
    parser.add_argument("--database", default=NAME, help="prefix of the databases it builds (default %(default)s)")
    args = parser.parse_args()
    if args.short:
        args.duration = 15
    parts = {int(part) for part in args.parts.split(",")}
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"load before: {_uptime()}")
    workdir = Path(tempfile.mkdtemp(prefix="clinic-soak-"))
    verdicts: dict[str, bool] = {}
    try:
        if parts & {1, 2}:
            world = World(build("world", args.database, workdir, "--clinics", str(args.clinics)))
            print(f"data: {args.clinics} clinics, {len(world.tenant_owner)} rows of theirs, {args.users} virtual users")
            if 1 in parts:
                verdicts["1 isolation"] = checks.isolation(world, args, workdir)
            if 2 in parts:
                verdicts["2 pgbouncer"] = checks.through_pgbouncer(world, args, workdir)
        if 3 in parts:
            verdicts["3 database restart"] = recovery.database_restart(args, workdir)
        if 4 in parts:
            verdicts["4 worker kill"] = recovery.worker_kill(args, workdir)
        if 5 in parts:
            verdicts["5 bad input"] = fuzz.bad_input(args, workdir)
        if 6 in parts:
            verdicts["6 failover"] = failover.failover(args, workdir)
        if 7 in parts:
            verdicts["7 read replica"] = replica.read_replica(args, workdir)
    finally:
        if verdicts and all(verdicts.values()):
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"\nlogs kept in {workdir}")
    print(f"\nload after: {_uptime()}")
    for part, ok in verdicts.items():
        print(f"part {part:20} {'PASS' if ok else 'FAIL'}")
    return 0 if verdicts and all(verdicts.values()) else 1


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S607
    except OSError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
