"""Benchmark: event webhook deliveries per second by the worker.

Builds its own database (`clinic_bench_webhooks`) and starts a receiver on loopback
that answers 204 to every POST and checks its signature with the product's signing
code. Creates clinics with one endpoint each at that receiver, books appointments
through the services (each writes an `appointment.created` event and its delivery in
the booking's transaction and defers the delivery job on commit), then lets real
`manage.py procrastinate worker` processes deliver them: first one worker, then two
on a fresh batch. The rate is deliveries / (last delivery job finished - first one
started), from procrastinate's own event timestamps, so process start-up is not
counted. A run counts only if every delivery is recorded as delivered and the
receiver got exactly as many correctly signed POSTs, each event once.

This project's own target: at least 100 deliveries per second for one worker.

    make bench-webhooks     # or: .venv/bin/python -m bench.webhook_worker --deliveries 1000
"""

from __future__ import annotations

import datetime as dt
import hmac
import http.server
import os
import sys
import threading
import time
from collections import Counter

from bench.workers import arguments, fresh_database, machine, run_workers, verdict
from clinic.api.webhooks import signing  # plain hmac and base64: no Django set-up needed

TARGET_PER_WORKER = 100  # deliveries per second
DELIVERY_TASK = "clinic.api.webhooks.tasks.deliver_webhook"


class Receiver(http.server.ThreadingHTTPServer):
    """Every POST to /<n> is checked against endpoint n's secret."""

    daemon_threads = True
    # socketserver's default backlog of 5 drops connections from several concurrent
    # jobs, which then wait a second for TCP to retry: the bench would time the kernel.
    request_queue_size = 128

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secrets: dict[str, str] = {}
        self.ids: Counter[str] = Counter()
        self.bad = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def reset(self) -> None:
        with self.lock:
            self.ids.clear()
            self.bad = 0


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        secret = self.server.secrets.get(self.path)
        message_id = self.headers.get("webhook-id", "")
        timestamp = self.headers.get("webhook-timestamp", "")
        good = (
            secret is not None
            and timestamp.isdigit()
            and abs(time.time() - int(timestamp)) <= 300
            and hmac.compare_digest(
                signing.signature(secret, message_id, int(timestamp), body), self.headers.get("webhook-signature", "")
            )
        )
        with self.server.lock:
            if good:
                self.server.ids[message_id] += 1
            else:
                self.server.bad += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass  # one line per delivery would swamp the figures


def main() -> int:
    args = arguments(__doc__, jobs="deliveries", noun="deliveries")
    # The receiver is on loopback; the workers inherit the setting.
    fresh_database("clinic_bench_webhooks", WEBHOOK_ALLOW_PRIVATE_URLS="true")
    print(machine())
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    rates, ok = {}, True
    for workers in (1, 2):
        started = time.perf_counter()
        clinics = _book(f"w{workers}", args.clinics, args.deliveries, receiver)
        took = time.perf_counter() - started
        print(f"booked {args.deliveries} appointments in {args.clinics} clinics ({took:.1f}s)")
        rate, checked = _run(clinics, args.deliveries, receiver, workers=workers, concurrency=args.concurrency)
        rates[workers], ok = rate, ok and checked
    receiver.shutdown()
    one, two = rates[1], rates[2]
    print(
        f"\n1 worker : {one:7.1f} deliveries/s   target >= {TARGET_PER_WORKER}/s  "
        f"{verdict(ok and one >= TARGET_PER_WORKER)}"
    )
    print(f"2 workers: {two:7.1f} deliveries/s   ({two / 2:.1f}/s per worker)")
    print(f"scaling  : {two / one:5.2f}x")
    return 0 if ok else 1


def _book(prefix: str, clinic_count: int, appointments: int, receiver: Receiver) -> list:
    """Clinics without SMS, each with one endpoint at the receiver, and appointments
    booked back to back with one provider and patient per clinic."""
    from django.contrib.auth import get_user_model
    from django.db import connections
    from django.utils import timezone

    from clinic.api.models import SUBSCRIBABLE_EVENT_TYPES
    from clinic.api.webhooks.services import webhook_endpoint_create
    from clinic.appointments.models import AppointmentType, Provider
    from clinic.appointments.services import appointment_book, patient_create
    from tenancy.context import tenant_context
    from tenancy.services import organization_create

    with connections["default"].cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")  # the last run's, so its events are gone too
    starts_at = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    per_clinic = appointments // clinic_count
    clinics = []
    for number in range(clinic_count):
        name = f"{prefix}-{number}"
        owner = get_user_model().objects.create_user(username=name, email=f"{name}@example.test")
        org = organization_create(name=f"Bench {name}", slug=f"bench-{name}", timezone="UTC", owner=owner)
        with tenant_context(org=org):
            path = f"/{name}"
            _, receiver.secrets[path] = webhook_endpoint_create(
                url=receiver.url + path, event_types=SUBSCRIBABLE_EVENT_TYPES
            )
            kind = AppointmentType.objects.create(name="Visit", default_duration=30)
            provider = Provider.objects.create(name="Provider")
            patient = patient_create(
                first_name="Pat", last_name="Bench", date_of_birth=dt.date(1980, 1, 1), phone="+14155550100"
            )
            for index in range(per_clinic):
                appointment_book(
                    patient=patient,
                    provider=provider,
                    appointment_type=kind,
                    starts_at=starts_at + dt.timedelta(minutes=30 * index),
                    booked_by=None,
                )
        clinics.append(org.id)
    return clinics


def _run(clinics: list, expected: int, receiver: Receiver, *, workers: int, concurrency: int) -> tuple[float, bool]:
    """`workers` worker processes until the queue is drained; the rate, and whether the
    database and the receiver agree that every delivery arrived once, signed."""
    from django.db import connections

    receiver.reset()
    run = run_workers(workers=workers, concurrency=concurrency, env={}, task_name=DELIVERY_TASK)
    # Counted as the audit role (read-only, sees every clinic): the deliveries of this run.
    with connections["audit"].cursor() as cursor:
        cursor.execute(
            "SELECT status, count(*) FROM api_webhookdelivery WHERE organization_id = ANY(%s) GROUP BY status",
            [list(clinics)],
        )
        statuses = dict(cursor.fetchall())
    delivered = statuses.get("succeeded", 0)
    with receiver.lock:
        received, distinct, bad = sum(receiver.ids.values()), len(receiver.ids), receiver.bad
    checked = delivered == sum(statuses.values()) == expected == received == distinct and not bad
    if not checked:
        print(
            f"warning: {expected} expected; deliveries by status {statuses}; receiver: {received} signed POSTs "
            f"({distinct} distinct ids), {bad} bad signatures"
        )
    rate = delivered / run.seconds
    print(
        f"{workers} worker(s), concurrency {concurrency}: {delivered} deliveries in {run.seconds:.2f}s = {rate:.1f}/s; "
        f"receiver: {distinct} distinct, correctly signed; "
        f"worker CPU {1000 * run.worker_cpu / max(delivered, 1):.2f} ms per delivery (start-up included); "
        f"all {os.cpu_count()} cores {run.busy:.0%} busy (workers, PostgreSQL, the receiver and anything else)"
    )
    return rate, checked


if __name__ == "__main__":
    sys.exit(main())
