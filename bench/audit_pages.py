"""Benchmark: what the audit trail costs on two staff pages, in the same run,
interleaved: the day schedule and a patient's page, with auditing on and off
(`AUDIT_ENABLED`). A patient's page writes one `view` event (one INSERT into the
append-only table, in the request's transaction); the day schedule writes none, so
it shows the cost of the request-id middleware alone. Target: on ≤ 1.15× off.

    .venv/bin/python -m bench.audit_pages         # or: make bench
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=300, help="requests per page and setting (interleaved)")
    args = parser.parse_args()

    os.environ["DATABASE_NAME"] = "clinic_bench_audit"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host
    from bench.database import rebuild_database

    rebuild_database()
    client, urls = _load()
    results = _measure(client, urls, args.rounds)
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"{args.rounds} requests per page and setting, interleaved, in-process (whole Django stack)")
    print(f"{'page':22} {'audit on':>12} {'audit off':>12} {'ratio':>7}")
    worst = 0.0
    for page in urls:
        on, off = statistics.median(results[(page, True)]), statistics.median(results[(page, False)])
        worst = max(worst, on / off)
        print(f"{page:22} {on:9.2f} ms {off:9.2f} ms {on / off:6.2f}x")
    verdict = "meets" if worst <= 1.15 else "MISSES"
    print(f"worst ratio {worst:.2f}x ({verdict} the 1.15x target)")


def _load():
    from django.test import Client

    from bench.generate import generate
    from clinic.appointments.models import Patient
    from tenancy.context import tenant_context
    from tenancy.session import SESSION_ORG_KEY

    (org,) = generate(clinics=1, providers=6, patients=2000, days=30)
    with tenant_context(org=org):
        patient = Patient.objects.order_by("id").first()
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.get(username="bench-owner-7")
    client = Client()
    client.force_login(owner)
    session = client.session
    session[SESSION_ORG_KEY] = str(org.id)
    session.save()
    return client, {"day schedule": "/", "patient page": f"/patients/{patient.pk}/"}


def _measure(client, urls: dict[str, str], rounds: int) -> dict[tuple[str, bool], list[float]]:
    from django.conf import settings

    for url in urls.values():  # warm up
        assert client.get(url).status_code == 200
    samples: dict[tuple[str, bool], list[float]] = {(page, on): [] for page in urls for on in (True, False)}
    for index in range(rounds):
        for page, url in urls.items():
            for on in (True, False) if index % 2 == 0 else (False, True):
                settings.AUDIT_ENABLED = on
                started = time.perf_counter()
                response = client.get(url)
                samples[(page, on)].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
    settings.AUDIT_ENABLED = True
    return samples


if __name__ == "__main__":
    sys.exit(main())
