"""Benchmark: a page of 50 appointments through the API (DRF) against a minimal Django
view returning the same rows as JSON, in the same run, interleaved.

Both go through the whole Django stack in-process (middleware, URL routing, the
request transaction) and do the same tenant work: the pre-tenant key lookup, the
tenant context, the key check, the clinic's row and one query for the rows. What
differs is what DRF adds: authentication and permission classes, throttling, input
serializers, the paginator and the output serializer. Target: DRF at ≥ 0.6× the
minimal view's requests per second.

    .venv/bin/python -m bench.api_list            # or: make bench
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

from bench.measure import percentile

PAGE = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=300, help="requests per side (interleaved)")
    args = parser.parse_args()

    os.environ["DATABASE_NAME"] = "clinic_bench_api"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ["API_THROTTLE_RATE"] = ""  # measure the work, not the limiter
    import django

    django.setup()
    from django.conf import settings

    settings.ROOT_URLCONF = "bench.api_list_urls"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host
    from bench.database import rebuild_database

    rebuild_database()
    key = _load()
    drf, plain = _measure(key, args.rounds)
    ratio = statistics.median(plain) / statistics.median(drf)
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"GET a page of {PAGE} appointments, {args.rounds} requests each, interleaved, in-process")
    print(f"{'':28} {'median':>10} {'p95':>10} {'req/s':>8}")
    for name, samples in (("DRF /api/v1/appointments/", drf), ("minimal Django JSON view", plain)):
        median = statistics.median(samples)
        print(f"{name:28} {_ms(median)} {_ms(percentile(samples, 0.95))} {1000 / median:8.0f}")
    verdict = "meets" if ratio >= 0.6 else "MISSES"
    print(f"DRF throughput = {ratio:.2f}x the minimal view's ({verdict} the 0.6x target)")


def _load() -> str:
    from bench.generate import generate
    from clinic.api.services import api_key_create
    from tenancy.context import tenant_context

    (org,) = generate(clinics=1, providers=4, patients=300, days=10)
    with tenant_context(org=org):
        _, key = api_key_create(name="bench")
    return key


def _measure(key: str, rounds: int) -> tuple[list[float], list[float]]:
    from django.test import Client

    client = Client()
    headers = {"Authorization": f"Bearer {key}"}
    urls = {"drf": f"/api/v1/appointments/?limit={PAGE}", "plain": f"/bench/appointments/?limit={PAGE}"}
    for url in urls.values():  # warm up, and check both answer the same rows
        assert client.get(url, headers=headers).status_code == 200
    drf_ids = [row["id"] for row in client.get(urls["drf"], headers=headers).json()["results"]]
    plain_ids = [row["id"] for row in client.get(urls["plain"], headers=headers).json()["results"]]
    assert drf_ids == plain_ids and len(drf_ids) == PAGE, "the two views must return the same rows"
    samples: dict[str, list[float]] = {"drf": [], "plain": []}
    for index in range(rounds):
        order = ("drf", "plain") if index % 2 == 0 else ("plain", "drf")
        for name in order:
            started = time.perf_counter()
            response = client.get(urls[name], headers=headers)
            samples[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    return samples["drf"], samples["plain"]


def _ms(value: float) -> str:
    return f"{value:7.2f} ms"


if __name__ == "__main__":
    sys.exit(main())
