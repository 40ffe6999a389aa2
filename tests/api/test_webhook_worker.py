"""The real worker delivers events: `manage.py procrastinate worker` processes, a
database of their own (a worker sees only committed rows), and a receiving server
started here on 127.0.0.1. A booking committed in clinic A is POSTed, signed, to A's
endpoint only; an answer of 500 is retried by procrastinate after its backoff."""

from __future__ import annotations

import time

import pytest

from tests.support.webhooks import Receiver, verify
from tests.support.worker_harness import own_database, run_workers, shell_json, sql

pytestmark = pytest.mark.worker


@pytest.fixture
def worker_db():
    with own_database("test_clinic_webhooks", WEBHOOK_ALLOW_PRIVATE_URLS="true") as env:
        yield env


def test_a_booking_is_delivered_to_its_clinics_endpoint_and_retried_after_a_500(worker_db):
    with Receiver() as server_a, Receiver() as server_b:
        seed = f"from tests.support.webhook_worker_seed import seed; seed({server_a.url!r}, {server_b.url!r})"
        clinic_a, _ = shell_json(worker_db, seed)
        server_a.fail(500)
        booked = shell_json(worker_db, f"from tests.support.webhook_worker_seed import book; book({clinic_a['org']!r})")

        run_workers(worker_db)
        assert len(server_a.requests) == 1 and server_b.requests == []
        assert sql(worker_db, "SELECT status, attempts, response_status_code FROM api_webhookdelivery") == [
            ["pending", "1", "500"]
        ]
        ((status, attempts, wait),) = sql(
            worker_db,
            "SELECT status, attempts, extract(epoch FROM scheduled_at - now()) FROM procrastinate_jobs "
            "WHERE task_name LIKE '%deliver_webhook'",
        )
        assert (status, attempts) == ("todo", "1") and float(wait) <= 5  # the backoff's first step
        time.sleep(max(0.0, float(wait)) + 0.5)

        run_workers(worker_db)
        assert len(server_a.requests) == 2 and server_b.requests == []
    request = server_a.requests[-1]
    assert verify(clinic_a["secret"], request.headers, request.body)
    event = request.json()
    assert (event["type"], event["data"]["id"]) == ("appointment.created", booked["appointment"])
    assert request.headers["webhook-id"] == server_a.requests[0].headers["webhook-id"] == event["id"]
    assert sql(worker_db, "SELECT status, attempts, response_status_code FROM api_webhookdelivery") == [
        ["succeeded", "2", "200"]
    ]
    assert sql(worker_db, "SELECT status FROM procrastinate_jobs WHERE task_name LIKE '%deliver_webhook'") == [
        ["succeeded"]
    ]


def test_during_a_secret_rotation_the_worker_signs_with_both_secrets(worker_db):
    with Receiver() as server_a, Receiver() as server_b:
        seed = f"from tests.support.webhook_worker_seed import seed; seed({server_a.url!r}, {server_b.url!r})"
        clinic_a, _ = shell_json(worker_db, seed)
        rotate = f"rotate({clinic_a['org']!r}, {clinic_a['endpoint']!r})"
        new = shell_json(worker_db, f"from tests.support.webhook_worker_seed import rotate; {rotate}")["secret"]
        shell_json(worker_db, f"from tests.support.webhook_worker_seed import book; book({clinic_a['org']!r})")
        run_workers(worker_db)
        assert len(server_a.requests) == 1 and server_b.requests == []
    (request,) = server_a.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert verify(new, request.headers, request.body)
    assert verify(clinic_a["secret"], request.headers, request.body)  # the replaced secret, until its window ends
    assert sql(worker_db, "SELECT status FROM api_webhookdelivery") == [["succeeded"]]
