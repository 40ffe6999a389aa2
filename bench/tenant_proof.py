"""Benchmark: what the tenant proof costs (tenancy.proof).

1. The day-schedule query as the runtime role, under the proven policies
   (`organization_id = (SELECT tenancy_proven_org())`) and under the policies as they
   were before proofs (`organization_id = current_setting('app.org_id')::uuid`),
   switched back and forth on the same data and interleaved round by round, until the
   ratio's 95% interval is within ±3% (or the round limit). Target: ≤ 1.05×.
2. Opening a tenant context (BEGIN, asking the backend's pid and the transaction's
   start, signing, set_config, COMMIT) against setting the same values unsigned.

Runs on its own database (`clinic_bench_proof`), rebuilt each run.

    make bench            # or: .venv/bin/python -m bench.tenant_proof
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys

from bench.measure import interleave, median_ms, report

TARGET_RATIO = 1.05
TABLES = ("appointments_appointment", "appointments_patient")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clinics", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=40, help="queries per variant per round")
    parser.add_argument("--max-rounds", type=int, default=60)
    args = parser.parse_args()

    os.environ["DATABASE_NAME"] = "clinic_bench_proof"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from bench.database import rebuild_database
    from bench.generate import generate

    rebuild_database()
    orgs = generate(clinics=args.clinics, providers=6, patients=2000, days=60)
    machine = f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores"
    print(f"machine: {machine}, Python {platform.python_version()}")
    print(f"data: {args.clinics} clinics, 6 providers and 2,000 patients each, 60 days of appointments")
    org = orgs[len(orgs) // 2]
    try:
        _policy_cost(org, args.per_round, args.max_rounds)
    finally:
        _set_policies(proven=True)
    _context_cost(org, args.per_round, args.max_rounds)


def _set_policies(*, proven: bool) -> None:
    from django.db import connections

    from tenancy.operations import PROVEN_ORG_SQL, TENANT_POLICY, UNPROVEN_ORG_SQL

    check = f"organization_id = {PROVEN_ORG_SQL if proven else UNPROVEN_ORG_SQL}"
    with connections["owner"].cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"ALTER POLICY {TENANT_POLICY} ON {table} USING ({check}) WITH CHECK ({check})")


DAY_SCHEDULE = (
    "SELECT a.id, a.starts_at, p.last_name FROM appointments_appointment a "
    "JOIN appointments_patient p ON p.organization_id = a.organization_id AND p.id = a.patient_id "
    "WHERE a.starts_at >= %(day_start)s AND a.starts_at < %(day_end)s ORDER BY a.starts_at"
)


def _policy_cost(org, per_round: int, max_rounds: int) -> None:
    import datetime as dt

    from django.db import connections
    from django.utils import timezone

    from tenancy.context import tenant_context

    with connections["owner"].cursor() as cursor:
        cursor.execute("ANALYZE")
    day_start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    params = {"day_start": day_start, "day_end": day_start + dt.timedelta(days=1)}

    def one_query() -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute(DAY_SCHEDULE, params)
            assert cursor.fetchall(), "the day has appointments"

    def block(proven: bool) -> float:
        _set_policies(proven=proven)
        with tenant_context(org=org):
            one_query()  # warm: the plan for this policy
            return median_ms(one_query, per_round)

    timings = {True: [], False: []}

    def timed_block(proven: bool) -> float:
        timings[proven].append(block(proven))
        return timings[proven][-1]

    ratios = interleave(lambda: timed_block(True), lambda: timed_block(False), max_rounds)
    print(
        f"\nday schedule: {statistics.median(timings[True]):.3f} ms proven, "
        f"{statistics.median(timings[False]):.3f} ms unproven (medians of the rounds' medians)"
    )
    report("day schedule, proven vs unproven policy", ratios, TARGET_RATIO)
    _set_policies(proven=True)  # the last round may have left the unproven ones in place
    with tenant_context(org=org), connections["default"].cursor() as cursor:
        for label, expression in (
            ("tenancy_proven_org()", "tenancy_proven_org()"),
            ("current_setting('app.org_id')", "NULLIF(current_setting('app.org_id', true), '')::uuid"),
        ):
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) SELECT {expression} FROM generate_series(1, 20000)")
            per_call = cursor.fetchone()[0][0]["Execution Time"] / 20000 * 1000
            print(f"one call of {label}: {per_call:.1f} us")
    with tenant_context(org=org), connections["default"].cursor() as cursor:
        cursor.execute("EXPLAIN " + DAY_SCHEDULE, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print("EXPLAIN (proven policy):\n  " + plan.replace("\n", "\n  "))


def _context_cost(org, per_round: int, max_rounds: int) -> None:
    from django.db import transaction

    from tenancy.context import ORG_SETTING, USER_SETTING, set_transaction_settings, tenant_context

    def proven() -> None:
        with tenant_context(org=org):
            pass

    def unsigned() -> None:
        with transaction.atomic():
            set_transaction_settings({ORG_SETTING: str(org.id), USER_SETTING: ""})

    timings = {"proven": [], "unsigned": []}

    def block(name, run) -> float:
        value = median_ms(run, per_round)
        timings[name].append(value)
        return value

    ratios = interleave(lambda: block("proven", proven), lambda: block("unsigned", unsigned), max_rounds)
    extra = statistics.median(timings["proven"]) - statistics.median(timings["unsigned"])
    print(
        f"\ntenant context per request: {statistics.median(timings['proven']):.3f} ms with the proof, "
        f"{statistics.median(timings['unsigned']):.3f} ms unsigned: +{extra:.3f} ms (target <= 0.5 ms: "
        f"{'PASS' if extra <= 0.5 else 'FAIL'})"
    )
    report("tenant context, proven vs unsigned", ratios, None)


if __name__ == "__main__":
    sys.exit(main())
