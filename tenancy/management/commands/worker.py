"""`manage.py worker …`: procrastinate's worker (`manage.py procrastinate worker …`, same
arguments), started again in the same process whenever it stops on a database error.

procrastinate's worker exits when its database goes away: a failover (the primary
crashed, the standby not yet promoted), a restart, a dropped connection. Started again,
it connects through the same DATABASE_URL, which with several hosts and
`target_session_attrs=read-write` finds the new primary. Nothing of a job in flight is
lost by the restart: the jobs and their claims are rows in PostgreSQL, and each kind of
job settles its own unfinished work (a text left "sending" is settled against the
provider's record, one left queued is sent again by the minute tick, an event delivery
left in flight is retried), so each still happens exactly once.

A stop asked for (SIGINT, SIGTERM) ends the command. procrastinate also stops its
worker, the same clean way, when one of its side tasks fails (the LISTEN connection,
the heartbeat: both lose their database in a failover); that it logs, and this is
how it is told apart. Either failure is logged and the worker started again after
RESTART_DELAY_SECONDS, as a process supervisor would."""

from __future__ import annotations

import logging
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections

logger = logging.getLogger("clinic.worker")
RESTART_DELAY_SECONDS = 2.0


class SideTaskFailures(logging.Handler):
    """Notes procrastinate's "side task failed, stopping worker" (action
    `side_task_failed`): a stop nobody asked for."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "action", "") == "side_task_failed":
            self.seen = True


class Command(BaseCommand):
    help = "Run procrastinate's worker (same arguments), starting it again after a database error."

    worker_arguments: list[str] = []

    def run_from_argv(self, argv: list[str]) -> None:
        # Every argument after `worker` is procrastinate's (its options included), passed
        # on as they are; procrastinate's own parser checks them.
        self.worker_arguments = argv[2:]
        super().run_from_argv(argv[:2])

    def handle(self, *args, **options) -> None:
        try:
            self._run(self.worker_arguments)
        except KeyboardInterrupt:
            pass  # Ctrl-C between two runs

    def _run(self, worker_arguments: list[str]) -> None:
        restarts = 0
        side_task_failures = SideTaskFailures()
        logging.getLogger("procrastinate").addHandler(side_task_failures)
        while True:
            side_task_failures.seen = False
            try:
                call_command("procrastinate", "worker", *worker_arguments)
                if not side_task_failures.seen:
                    return  # stopped on request
            except SystemExit as stop:
                if stop.code in (0, None) and not side_task_failures.seen:
                    return
            restarts += 1
            logger.warning(
                "The worker stopped on a database error (restart %d); starting it again in %.0f s.",
                restarts,
                RESTART_DELAY_SECONDS,
            )
            # Django's own connections (the tasks' ORM) may be broken too: reopened on use.
            connections.close_all()
            time.sleep(RESTART_DELAY_SECONDS)
