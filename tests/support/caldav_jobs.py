"""Running the CalDAV jobs inside the test process: procrastinate's in-memory
connector takes the deferred jobs (with their queueing locks), and `run()` calls
each task as the worker would, in order, until none is left. Jobs the tasks defer
in turn are run too. The real worker runs them in tests/calendars/test_caldav_worker.py."""

from __future__ import annotations

from procrastinate.contrib.django import app
from procrastinate.testing import InMemoryConnector

CALENDAR_TASKS = "clinic.calendars."


class Jobs:
    def __init__(self, connector: InMemoryConnector, capture) -> None:
        self.connector = connector
        self.capture = capture
        self.retried: list[dict] = []

    def waiting(self) -> list[dict]:
        return [
            job
            for job in sorted(self.connector.jobs.values(), key=lambda job: job["id"])
            if job["status"] == "todo" and job["task_name"].startswith(CALENDAR_TASKS)
        ]

    def run(self) -> int:
        """Run every waiting calendar job; returns how many ran. A job that asks to be
        retried is recorded in `retried` and counted as done (the tests retry by hand)."""
        from clinic.calendars.caldav.push import RetryLater

        ran = 0
        while waiting := self.waiting():
            for job in waiting:
                job["status"] = "doing"
                try:
                    with self.capture(execute=True):
                        app.tasks[job["task_name"]](**job["args"])
                except RetryLater:
                    self.retried.append(job)
                job["status"] = "succeeded"
                ran += 1
        return ran
