"""Benchmark: one clinic cannot stall the worker for the others.

Builds its own database (`clinic_bench_fairness`) and starts, inside the benchmark,
a server on loopback that accepts every connection and never answers, and a receiver
that answers 204 and checks each signature. Clinic A registers 15 webhook endpoints
on the silent server; clinic B one endpoint at the receiver, and texts on (console
backend). The workers are started exactly as `make run` and the production docs
start them (clinic/worker_queues.py: one for `sms`, one for webhooks, calendars and
housekeeping). Then A books one appointment (15 delivery jobs, each waiting out its
deadline), and once A's deliveries hang, B books an appointment and presses "Send
confirmation now". Measured from each commit: how long until the receiver has B's
event, and until B's text is recorded as sent. Both must take under 5 s; A may hold
at most JOBS_IN_FLIGHT_PER_CLINIC connections at once.

    make bench-fairness     # or: .venv/bin/python -m bench.fairness
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time

from bench.webhook_worker import Receiver
from bench.workers import fresh_database, machine, start_workers, stop_workers, verdict

TARGET_SECONDS = 5.0
SLOW_ENDPOINTS = 15


class SilentServer:
    """Accepts every connection, reads what comes, never answers; counts the
    connections open at once."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.lock = threading.Lock()
        self.open = self.most_open = self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                self.open += 1
                self.most_open = max(self.most_open, self.open)
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        try:
            while conn.recv(65536):
                pass  # until the client gives up and closes
        except OSError:
            pass
        finally:
            conn.close()
            with self.lock:
                self.open -= 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", type=int, default=SLOW_ENDPOINTS, help="clinic A's silent endpoints")
    args = parser.parse_args()
    # Both servers are on loopback; the workers inherit the settings. The endpoint
    # limit (default 10) is raised to the attack's 15, as for endpoints registered
    # before it existed: what is measured here is the worker, not the limit.
    fresh_database(
        "clinic_bench_fairness",
        WEBHOOK_ALLOW_PRIVATE_URLS="true",
        SMS_BACKEND="console",
        WEBHOOK_ENDPOINTS_MAX_PER_CLINIC=str(max(10, args.endpoints)),
    )
    from django.conf import settings

    from clinic.worker_queues import WORKERS, worker_arguments

    print(machine())
    print(f"database: {settings.DATABASE_SERVER.name} on {settings.DATABASE_SERVER.host or 'a local socket'}")
    silent, receiver = SilentServer(), Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    clinic_a = _clinic("fair-a", [f"{silent.url}/a{n}" for n in range(args.endpoints)])
    clinic_b = _clinic("fair-b", [], receiver=receiver, sender="+12025550181")
    workers = [worker_arguments(name) for name in WORKERS]
    print("workers: " + "; ".join("manage.py " + " ".join(arguments) for arguments in workers))
    processes = start_workers(workers, env={})
    try:
        a_booked = time.monotonic()
        _book(clinic_a)
        waited = _wait(lambda: silent.open >= 1, 30, since=a_booked)
        time.sleep(1.0)  # let A's deliveries take what slots they can
        print(
            f"clinic A: {args.endpoints} endpoints that never answer, 1 booking; first call connected "
            f"{waited:.2f}s after the booking began; {silent.open} of its deliveries connected, waiting out "
            f"WEBHOOK_TIMEOUT_SECONDS={settings.WEBHOOK_TIMEOUT_SECONDS}"
        )
        booked_at = time.monotonic()
        appointment = _book(clinic_b)
        webhook_committed = time.monotonic()
        _text_now(clinic_b, appointment)
        text_committed = time.monotonic()
        webhook_done = _wait(lambda: len(receiver.ids) >= 1, 120, since=webhook_committed)
        text_done = _wait(lambda: _text_sent(clinic_b), 600, since=text_committed)
        held = silent.most_open
    finally:
        stop_workers(processes)
        receiver.shutdown()
    limit = settings.JOBS_IN_FLIGHT_PER_CLINIC
    signed_ok = receiver.bad == 0 and sum(receiver.ids.values()) == 1
    webhook_ok = webhook_done is not None and webhook_done < TARGET_SECONDS and signed_ok
    text_ok = text_done is not None and text_done < TARGET_SECONDS
    share_ok = held <= limit
    print(f"B's booking committed in {webhook_committed - booked_at:.2f}s; each time below is from its own commit")
    print(f"\nB's webhook: {_seconds(webhook_done)}  target < {TARGET_SECONDS:g} s  {verdict(webhook_ok)}")
    print(f"B's text   : {_seconds(text_done)}  target < {TARGET_SECONDS:g} s  {verdict(text_ok)}")
    print(f"A's connections at once: {held}  limit JOBS_IN_FLIGHT_PER_CLINIC={limit}  {verdict(share_ok)}")
    ok = webhook_ok and text_ok and share_ok
    print(verdict(ok))
    return 0 if ok else 1


def _clinic(slug: str, urls: list[str], *, receiver: Receiver | None = None, sender: str | None = None) -> str:
    """A clinic with one provider, type and patient, its endpoints, and texts if `sender`."""
    import datetime as dt

    from django.contrib.auth import get_user_model

    from clinic.api.webhooks.services import webhook_endpoint_create
    from clinic.appointments.models import AppointmentType, Provider
    from clinic.appointments.services import patient_create
    from clinic.messaging.services import sms_settings_save
    from tenancy.context import tenant_context
    from tenancy.services import organization_create

    owner = get_user_model().objects.create_user(username=slug, email=f"{slug}@example.test")
    org = organization_create(name=f"Bench {slug}", slug=f"bench-{slug}", timezone="UTC", owner=owner)
    with tenant_context(org=org):
        for url in urls:
            webhook_endpoint_create(url=url)
        if receiver is not None:
            path = f"/{slug}"
            _, receiver.secrets[path] = webhook_endpoint_create(url=receiver.url + path)
        if sender:
            sms_settings_save(
                enabled=True, sender_number=sender, lead_minutes=[60], send_from=dt.time(0), send_until=dt.time(23, 59)
            )
        AppointmentType.objects.create(name="Visit", default_duration=30)
        Provider.objects.create(name="Provider")
        patient_create(first_name="Pat", last_name="Bench", date_of_birth=dt.date(1980, 1, 1), phone="+14155550100")
    return str(org.id)


def _book(org_id: str):
    import datetime as dt

    from django.utils import timezone

    from clinic.appointments.models import AppointmentType, Patient, Provider
    from clinic.appointments.services import appointment_book
    from tenancy.context import tenant_context

    with tenant_context(org=org_id):
        return appointment_book(
            patient=Patient.objects.get(),
            provider=Provider.objects.get(),
            appointment_type=AppointmentType.objects.get(),
            starts_at=timezone.now().replace(microsecond=0) + dt.timedelta(days=2),
            booked_by=None,
        )


def _text_now(org_id: str, appointment) -> None:
    from clinic.messaging.services import send_confirmation_now
    from tenancy.context import tenant_context

    with tenant_context(org=org_id):
        send_confirmation_now(appointment=appointment, requested_by=None)


def _text_sent(org_id: str) -> bool:
    from clinic.messaging.models import SmsMessage
    from tenancy.context import tenant_context

    with tenant_context(org=org_id):
        return SmsMessage.objects.filter(status=SmsMessage.Status.SENT).exists()


def _wait(check, timeout: float, *, since: float | None = None) -> float | None:
    """Seconds from `since` (or now) until `check()` holds, polled every 20 ms; None
    if it did not within `timeout`."""
    start = time.monotonic() if since is None else since
    while not check():
        if time.monotonic() - start > timeout:
            return None
        time.sleep(0.02)
    return time.monotonic() - start


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:6.2f} s"


if __name__ == "__main__":
    sys.exit(main())
