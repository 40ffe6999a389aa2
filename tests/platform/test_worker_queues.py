"""Every task's queue is taken by exactly one of the workers `make run` starts and the
production docs list (clinic/worker_queues.py), and texts by a worker of their own: a
queue added later without a worker would never run, and one shared with texts would
make them wait behind calls to clinics' addresses."""

from __future__ import annotations

from procrastinate.contrib.django import app

from clinic.worker_queues import OUTBOUND_QUEUES, SMS_QUEUES, WORKERS, worker_arguments


def task_queues() -> set[str]:
    app.perform_import_paths()
    return {task.queue for name, task in app.tasks.items() if not name.startswith("procrastinate.")}


def test_every_queue_has_exactly_one_worker():
    served = [queue for queues, _ in WORKERS.values() for queue in queues]
    assert len(served) == len(set(served))
    assert task_queues() <= set(served)


def test_texts_have_a_worker_of_their_own():
    assert {task.queue for name, task in app.tasks.items() if name.startswith("clinic.messaging.")} == set(SMS_QUEUES)
    assert not set(SMS_QUEUES) & set(OUTBOUND_QUEUES)
    assert worker_arguments("sms")[:3] == ["worker", "--queues", "sms"]
