"""`manage.py worker` starts procrastinate's worker again after it stopped on a database
error (a failover): whether it exited with an error or stopped itself because a side
task (its LISTEN connection) failed. A stop asked for ends it."""

from __future__ import annotations

import logging

import pytest

from tenancy.management.commands import worker


class FakeWorker:
    """procrastinate's worker, scripted: each run ends as the next outcome says."""

    def __init__(self, *outcomes: str) -> None:
        self.outcomes = list(outcomes)
        self.runs: list[tuple[str, ...]] = []

    def __call__(self, *arguments: str) -> None:
        self.runs.append(arguments)
        outcome = self.outcomes.pop(0)
        if outcome == "database error":
            raise SystemExit(1)  # what procrastinate's command does on any error
        if outcome == "side task failed":
            logging.getLogger("procrastinate.worker").error(
                "Side task listener failed with exception: Database error, stopping worker",
                extra={"action": "side_task_failed"},
            )


@pytest.fixture
def fake_worker(monkeypatch):
    def install(*outcomes: str) -> FakeWorker:
        fake = FakeWorker(*outcomes)
        monkeypatch.setattr(worker, "call_command", fake)
        monkeypatch.setattr(worker.time, "sleep", lambda seconds: None)
        return fake

    return install


def _run(*arguments: str) -> None:
    command = worker.Command()
    command.worker_arguments = list(arguments)
    command.handle()


def test_a_worker_stopped_by_a_database_error_is_started_again(fake_worker):
    fake = fake_worker("database error", "side task failed", "asked to stop")
    _run("--queues", "sms")
    assert fake.runs == [("procrastinate", "worker", "--queues", "sms")] * 3


def test_a_stop_asked_for_ends_it_at_once(fake_worker):
    fake = fake_worker("asked to stop")
    _run("--queues", "sms")
    assert len(fake.runs) == 1


def test_bad_arguments_are_not_retried_forever(fake_worker, monkeypatch):
    def refuse(*arguments: str) -> None:
        from django.core.management import CommandError

        raise CommandError("Error: unrecognized arguments: --nope")

    monkeypatch.setattr(worker, "call_command", refuse)
    with pytest.raises(Exception, match="unrecognized arguments"):
        _run("--nope")
