"""One clinic cannot stall the worker for the others (real workers, started as
`make run` and the production docs start them: clinic/worker_queues.py).

Clinic A registers endpoints on a server that accepts connections and never answers,
then books: one delivery job per endpoint, each waiting out its deadline. Clinic B
then books and texts its patient. A's deliveries take at most JOBS_IN_FLIGHT_PER_CLINIC
connections at once; B's event and B's text go out while A's are still hanging."""

from __future__ import annotations

import json

import pytest

from clinic.worker_queues import OUTBOUND_CONCURRENCY, WORKERS, worker_arguments
from tests.support.outbound_servers import SilentServer
from tests.support.webhooks import Receiver
from tests.support.worker_harness import own_database, shell, sql, wait_until, workers_running

pytestmark = pytest.mark.worker

SLOW_ENDPOINTS = 6


@pytest.fixture
def worker_db():
    # A's calls outlast the test: only their deadline could free the slots they hold.
    with own_database("test_clinic_fairness", WEBHOOK_ALLOW_PRIVATE_URLS="true", WEBHOOK_TIMEOUT_SECONDS="120") as env:
        yield env


def seed(env, stall: SilentServer, receiver: Receiver) -> dict:
    code = f"from tests.support.fairness_seed import seed; seed({stall.url!r}, {SLOW_ENDPOINTS}, {receiver.url!r})"
    return json.loads(shell(env, code).strip().splitlines()[-1])


def book(env, org: str, *, text_now: bool = False) -> None:
    shell(env, f"from tests.support.fairness_seed import book; book({org!r}, text_now={text_now})")


def text_sent(env) -> bool:
    return sql(env, "SELECT status FROM messaging_smsmessage WHERE direction = 'out'") == [["sent"]]


def test_a_clinics_hanging_endpoints_hold_at_most_its_share_of_the_worker(worker_db):
    env = {**worker_db, "JOBS_IN_FLIGHT_PER_CLINIC": "2"}
    with SilentServer() as stall, Receiver() as receiver:
        clinics = seed(env, stall, receiver)
        with workers_running(env, [worker_arguments(name) for name in WORKERS]):
            book(env, clinics["a"])
            wait_until(lambda: stall.open == 2, what="two of A's deliveries to connect")
            book(env, clinics["b"], text_now=True)
            wait_until(lambda: len(receiver.requests) == 1, what="B's event")
            wait_until(lambda: text_sent(env), what="B's text")
            # A's other deliveries waited without a connection of their own.
            assert stall.most_open == 2 and stall.open == 2
    assert receiver.requests[0].json()["type"] == "appointment.created"
    statuses = sql(
        env, f"SELECT status, count(*) FROM api_webhookdelivery WHERE organization_id = '{clinics['a']}' GROUP BY 1"
    )
    assert statuses == [["pending", str(SLOW_ENDPOINTS)]]


def test_texts_go_out_while_webhooks_fill_every_outbound_slot(worker_db):
    # A may take every slot of the outbound worker: texts must not need one.
    env = {**worker_db, "JOBS_IN_FLIGHT_PER_CLINIC": str(OUTBOUND_CONCURRENCY)}
    with SilentServer() as stall, Receiver() as receiver:
        clinics = seed(env, stall, receiver)
        with workers_running(env, [worker_arguments(name) for name in WORKERS]):
            book(env, clinics["a"])
            wait_until(lambda: stall.open == OUTBOUND_CONCURRENCY, what="A's deliveries to fill the outbound worker")
            book(env, clinics["b"], text_now=True)
            wait_until(lambda: text_sent(env), what="B's text")
            assert stall.open == OUTBOUND_CONCURRENCY  # the webhooks still hold every slot
    assert receiver.requests == []  # B's event waits for a slot; its text did not
