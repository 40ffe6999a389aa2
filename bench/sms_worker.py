"""Benchmark: SMS confirmations processed per second by the worker.

Builds its own database (`clinic_bench_sms`), books appointments through the
services (each plans its confirmation request), then defers one send job per due
request and lets real `manage.py procrastinate worker` processes (console backend,
output discarded) work through them: first one worker, then two on a fresh batch.
The rate is jobs / (last job finished - first job started), from procrastinate's
own event timestamps, so process start-up is not counted.

    make bench-sms      # or: .venv/bin/python -m bench.sms_worker --requests 1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time

TARGET_PER_WORKER = 200  # confirmations per second
SCALING_TARGET = 1.6  # two workers vs one: "near-linear" on a 2-core machine with the database beside it


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="confirmations per run (default %(default)s)")
    parser.add_argument("--clinics", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4, help="jobs at once per worker")
    args = parser.parse_args()

    os.environ["DATABASE_NAME"] = "clinic_bench_sms"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    import django

    django.setup()
    from bench.run import _rebuild_database

    _rebuild_database()
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    started = time.perf_counter()
    clinics = _book(args.clinics, 2 * args.requests)
    print(f"booked {2 * args.requests} appointments in {args.clinics} clinics in {time.perf_counter() - started:.1f}s")
    half = [requests[: len(requests) // 2] for requests in clinics.values()]
    rest = [requests[len(requests) // 2 :] for requests in clinics.values()]
    one = _run(dict(zip(clinics, half, strict=True)), workers=1, concurrency=args.concurrency)
    two = _run(dict(zip(clinics, rest, strict=True)), workers=2, concurrency=args.concurrency)
    verdict = _verdict(one >= TARGET_PER_WORKER)
    print(f"\n1 worker : {one:7.1f} confirmations/s   target >= {TARGET_PER_WORKER}/s  {verdict}")
    print(f"2 workers: {two:7.1f} confirmations/s   ({two / 2:.1f}/s per worker)")
    print(
        f"scaling  : {two / one:5.2f}x             target >= {SCALING_TARGET}x  {_verdict(two / one >= SCALING_TARGET)}"
    )


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _book(clinic_count: int, appointments: int) -> dict:
    """Appointments starting in an hour, one provider and patient each, in clinics
    whose window is open all day: every one has a request due now."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from clinic.appointments.models import AppointmentType, Provider
    from clinic.appointments.services import appointment_book, patient_create
    from clinic.messaging.models import ConfirmationRequest
    from clinic.messaging.services import sms_settings_save
    from tenancy.context import tenant_context
    from tenancy.services import organization_create

    starts_at = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    per_clinic = appointments // clinic_count
    clinics = {}
    for number in range(clinic_count):
        owner = get_user_model().objects.create_user(username=f"bench{number}", email=f"bench{number}@example.test")
        org = organization_create(name=f"Bench {number}", slug=f"bench-{number}", timezone="UTC", owner=owner)
        with tenant_context(org=org):
            sms_settings_save(
                enabled=True,
                sender_number=f"+1202555{number:04d}",
                lead_minutes=[720],
                send_from=dt.time(0),
                send_until=dt.time(23, 59, 59),
            )
            kind = AppointmentType.objects.create(name="Visit", default_duration=30)
            for index in range(per_clinic):
                patient = patient_create(
                    first_name=f"P{index}",
                    last_name="Bench",
                    date_of_birth=dt.date(1980, 1, 1),
                    phone=f"+1415555{index % 10000:04d}",
                )
                provider = Provider.objects.create(name=f"Provider {index}")
                appointment_book(
                    patient=patient, provider=provider, appointment_type=kind, starts_at=starts_at, booked_by=None
                )
            clinics[org.id] = list(ConfirmationRequest.objects.filter(status="pending").values_list("id", flat=True))
    return clinics


def _run(batch: dict, *, workers: int, concurrency: int) -> float:
    from django.db import connection

    from clinic.messaging.tasks import send_confirmation

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")
    total = 0
    for org_id, requests in batch.items():
        for request_id in requests:
            send_confirmation.defer(organization_id=str(org_id), request_id=str(request_id))
            total += 1
    # Workers keep their connections (CONN_MAX_AGE), as a deployed worker should.
    env = {**os.environ, "SMS_BACKEND": "console", "LOG_LEVEL": "WARNING", "CONN_MAX_AGE": "60"}
    command = [sys.executable, "manage.py", "procrastinate", "worker", "--one-shot", "-c", str(concurrency)]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        for _ in range(workers)
    ]
    for process in processes:
        process.wait(timeout=1800)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE type = 'succeeded'), "
            "EXTRACT(EPOCH FROM max(at) FILTER (WHERE type = 'succeeded') - min(at) FILTER (WHERE type = 'started')) "
            "FROM procrastinate_events"
        )
        succeeded, seconds = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM messaging_smsmessage")
    if succeeded != total:
        print(f"warning: {succeeded} of {total} jobs succeeded")
    rate = succeeded / float(seconds)
    print(f"{workers} worker(s), concurrency {concurrency}: {succeeded} confirmations in {seconds:.2f}s = {rate:.1f}/s")
    return rate


if __name__ == "__main__":
    sys.exit(main())
