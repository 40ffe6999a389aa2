"""Benchmarks: the cost of row-level security on the queries a clinic day makes.

Runs on its own database (`clinic_bench` on the configured server), rebuilt each run.
Prints, for each query, the median and 95th percentile over repeated runs:
- as the runtime role with the tenant set (RLS policy + ORM scope), and
- as the audit role (BYPASSRLS) with the same explicit organization filter,
so the difference is what RLS itself costs.

    make bench                    # or: .venv/bin/python -m bench.run --clinics 50
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

from bench.database import rebuild_database
from bench.measure import percentile, samples_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clinics", type=int, default=20)
    parser.add_argument("--providers", type=int, default=6)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    os.environ["DATABASE_NAME"] = "clinic_bench"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    rebuild_database()
    from bench.generate import generate

    started = time.perf_counter()
    orgs = generate(clinics=args.clinics, providers=args.providers, patients=args.patients, days=args.days)
    load_seconds = time.perf_counter() - started
    rows = args.clinics * args.days * args.providers * 16
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"data: {args.clinics} clinics x ({args.providers} providers, {args.patients} patients), {rows} appointments")
    print(f"load (bulk insert through RLS WITH CHECK): {load_seconds:.1f}s, {rows / load_seconds:,.0f} appointments/s")
    _report(orgs[len(orgs) // 2], args.repeat)


def _timed(run, repeat: int) -> tuple[float, float]:
    samples = samples_ms(run, repeat)
    return statistics.median(samples), percentile(samples, 0.95)


QUERIES = {
    "day schedule (one day, all providers)": (
        "SELECT a.id, a.starts_at, p.last_name FROM appointments_appointment a "
        "JOIN appointments_patient p ON p.organization_id = a.organization_id AND p.id = a.patient_id "
        "WHERE a.organization_id = %(org)s AND a.starts_at >= %(day_start)s AND a.starts_at < %(day_end)s "
        "ORDER BY a.starts_at"
    ),
    "patient search (name prefix, 'mül')": (
        "SELECT id FROM appointments_patient WHERE organization_id = %(org)s AND ((search_name >= 'mul' "
        "AND search_name < 'mum') OR (search_last >= 'mul' AND search_last < 'mum')) LIMIT 50"
    ),
    "patient's upcoming appointments": (
        "SELECT id FROM appointments_appointment WHERE organization_id = %(org)s "
        "AND patient_id = (SELECT id FROM appointments_patient WHERE organization_id = %(org)s LIMIT 1) "
        "AND starts_at >= now() ORDER BY starts_at LIMIT 20"
    ),
    "count all appointments of the clinic": (
        "SELECT count(*) FROM appointments_appointment WHERE organization_id = %(org)s"
    ),
}


def _report(org, repeat: int) -> None:
    import datetime as dt

    from django.db import connections, transaction
    from django.utils import timezone

    from tenancy.context import tenant_context

    with connections["owner"].cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"\n{'query':40} {'RLS (app role)':>24} {'no RLS (BYPASSRLS)':>24} {'overhead':>9}")
    for name, query in QUERIES.items():
        day_start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        params = {"org": org.id, "day_start": day_start, "day_end": day_start + dt.timedelta(days=1)}

        def run(alias: str, query=query, params=params):
            with connections[alias].cursor() as cursor:
                cursor.execute(query, params)
                cursor.fetchall()

        # Both inside one open transaction, so only the query itself is timed.
        with tenant_context(org=org):
            app = _timed(lambda: run("default"), repeat)
        with transaction.atomic(using="audit"):
            bypass = _timed(lambda: run("audit"), repeat)
        overhead = (app[0] - bypass[0]) / bypass[0] * 100 if bypass[0] else 0.0
        print(f"{name:40} {_ms(app)} {_ms(bypass)} {overhead:+8.0f}%")

    def empty_context():
        with tenant_context(org=org):
            pass

    print(f"\ntenant context per request (BEGIN, 2x set_config, COMMIT): {_ms(_timed(empty_context, repeat))}")


def _ms(timing: tuple[float, float]) -> str:
    return f"{timing[0]:8.3f} ms (p95 {timing[1]:7.3f})"


if __name__ == "__main__":
    sys.exit(main())
