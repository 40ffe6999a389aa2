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

import datetime as dt
import os
import sys
import time

from bench.workers import arguments, fresh_database, machine, run_workers, verdict

TARGET_PER_WORKER = 200  # confirmations per second
SCALING_TARGET = 1.6  # two workers vs one: "near-linear" on a 2-core machine with the database beside it


def main() -> None:
    args = arguments(__doc__, jobs="requests", noun="confirmations")
    fresh_database("clinic_bench_sms")
    print(machine())
    rates = {}
    for workers in (1, 2):
        started = time.perf_counter()
        clinics = _book(f"w{workers}", args.clinics, args.requests, first_number=100 * workers)
        took = time.perf_counter() - started
        print(f"booked {args.requests} appointments due now in {args.clinics} clinics ({took:.1f}s)")
        rates[workers] = _run(clinics, args.requests, workers=workers, concurrency=args.concurrency)
    one, two = rates[1], rates[2]
    print(
        f"\n1 worker : {one:7.1f} confirmations/s   target >= {TARGET_PER_WORKER}/s  "
        f"{verdict(one >= TARGET_PER_WORKER)}"
    )
    print(f"2 workers: {two:7.1f} confirmations/s   ({two / 2:.1f}/s per worker)")
    print(
        f"scaling  : {two / one:5.2f}x             target >= {SCALING_TARGET}x  {verdict(two / one >= SCALING_TARGET)}"
    )


def _book(prefix: str, clinic_count: int, appointments: int, first_number: int = 0) -> list:
    """Appointments starting in an hour, one provider and patient each, in clinics
    whose window is open all day: every one has a request due now."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from clinic.appointments.models import AppointmentType, Provider
    from clinic.appointments.services import appointment_book, patient_create
    from clinic.messaging.services import sms_settings_save
    from tenancy.context import tenant_context
    from tenancy.services import organization_create

    starts_at = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    per_clinic = appointments // clinic_count
    clinics = []
    for number in range(clinic_count):
        name = f"{prefix}-{number}"
        owner = get_user_model().objects.create_user(username=name, email=f"{name}@example.test")
        org = organization_create(name=f"Bench {name}", slug=f"bench-{name}", timezone="UTC", owner=owner)
        with tenant_context(org=org):
            sms_settings_save(
                enabled=True,
                sender_number=f"+1202555{first_number + number:04d}",
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
        clinics.append(org.id)
    return clinics


def _run(clinics: list, expected: int, *, workers: int, concurrency: int) -> float:
    """One dispatch job per clinic, then `workers` worker processes until the queue is
    empty. Rate: texts sent / (last job finished - first job started)."""
    from django.db import connections

    from clinic.messaging.tasks import dispatch_clinic

    with connections["default"].cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")
    for org_id in clinics:
        dispatch_clinic.defer(organization_id=str(org_id))
    run = run_workers(workers=workers, concurrency=concurrency, env={"SMS_BACKEND": "console"})
    # Counted as the audit role (read-only, sees every clinic): the texts of this run.
    with connections["audit"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM messaging_smsmessage WHERE status = 'sent' AND organization_id = ANY(%s)",
            [list(clinics)],
        )
        sent = cursor.fetchone()[0]
    if sent != expected:
        print(f"warning: {sent} of {expected} texts sent")
    rate = sent / run.seconds
    print(
        f"{workers} worker(s), concurrency {concurrency}: {sent} confirmations in {run.seconds:.2f}s = {rate:.1f}/s; "
        f"worker CPU {1000 * run.worker_cpu / sent:.2f} ms per confirmation (start-up included); "
        f"all {os.cpu_count()} cores {run.busy:.0%} busy (workers, PostgreSQL and anything else)"
    )
    return rate


if __name__ == "__main__":
    sys.exit(main())
