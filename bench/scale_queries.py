"""The hot queries at scale: what row-level security costs on each (runtime role under
the policies against the BYPASSRLS audit role running the same SQL), and what a clinic
50× the median's size costs against the median clinic.

Each query is the product's own queryset, compiled inside the clinic's tenant context
(so its SQL carries the ORM's explicit organization filter); both variants then run
exactly that SQL. Variants alternate round by round (bench.measure.interleave)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable

from bench.measure import interleave, median_ms, report

RLS_TARGET = 1.10
SEARCH_TARGET = 1.5  # patient search under RLS, at a clinic of 50,000 patients
SKEW_TARGET = 2.0
SEARCHES = {"patient search by name", "patient lookup by full name"}
# Queries whose answer grows with the clinic by design: the whole clinic's day (every
# appointment of the day, 50x the rows at the big clinic) and a page of search results
# for a name prefix (a full page of 25 where the median clinic has two or three
# matches). Shown at both sizes with their row counts, not held to the target.
GROWS_WITH_THE_CLINIC = {"day schedule (whole clinic)", "patient search by name"}
PAGE = 50


def hot_querysets(*, search_term: str = "mül", lookup_term: str = "müller ada") -> dict[str, Callable]:
    """name -> a function building the queryset; call it inside the clinic's context."""
    from django.utils import timezone

    from clinic.appointments.models import Appointment, Patient, Provider
    from clinic.appointments.querysets import SEARCH_ORDER
    from clinic.audit.selectors import filtered_events
    from clinic.messaging.selectors import log_messages

    today = timezone.localdate(timezone=dt.UTC)
    zone = dt.UTC

    def day_schedule():
        return Appointment.objects.on_day(today, zone).with_related().order_by("starts_at")

    def provider_day():
        provider = Provider.objects.order_by("name", "id").first()
        return Appointment.objects.on_day(today, zone).with_related().filter(provider=provider).order_by("starts_at")

    def api_page():
        start = timezone.now() - dt.timedelta(days=7)
        return (
            Appointment.objects.filter(starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=14))
            .order_by("starts_at", "id")
            .values("id", "patient_id", "provider_id", "starts_at", "ends_at", "status")[:PAGE]
        )

    def patient_search():
        return Patient.objects.search(search_term).order_by(*SEARCH_ORDER)[:25]  # as the patients page

    def patient_lookup():
        return Patient.objects.search(lookup_term).order_by(*SEARCH_ORDER)[:25]

    def sms_page():
        return log_messages()[:PAGE]

    def audit_page():
        return filtered_events({}, zone)[:PAGE]

    return {
        "day schedule (whole clinic)": day_schedule,
        "day schedule (one provider)": provider_day,
        "API page of 50 by date range": api_page,
        "patient search by name": patient_search,
        "patient lookup by full name": patient_lookup,
        "SMS log page": sms_page,
        "audit page": audit_page,
    }


def compiled(org, build: Callable) -> tuple[str, tuple]:
    from tenancy.context import tenant_context

    with tenant_context(org=org):
        return build().query.sql_with_params()


def _runner(alias: str, sql: str, params: tuple) -> Callable[[], None]:
    from django.db import connections

    def run() -> None:
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return run


def _rls_block(org, sql, params, per_round: int) -> float:
    from tenancy.context import tenant_context

    run = _runner("default", sql, params)
    with tenant_context(org=org):
        run()  # warm: plan and cache
        return median_ms(run, per_round)


def _bypass_block(sql, params, per_round: int) -> float:
    from django.db import transaction

    run = _runner("audit", sql, params)
    with transaction.atomic(using="audit"):
        run()
        return median_ms(run, per_round)


def rls_cost(org, *, per_round: int, max_rounds: int, only: set[str] | None = None) -> dict[str, bool]:
    """RLS against BYPASSRLS on the same SQL, per hot query."""
    results = {}
    for name, build in hot_querysets().items():
        if only and name not in only:
            continue
        target = SEARCH_TARGET if name in SEARCHES else RLS_TARGET
        sql, params = compiled(org, build)
        results[name] = rls_ratio(org, name, sql, params, target, per_round=per_round, max_rounds=max_rounds)
    return results


def rls_ratio(org, name: str, sql: str, params, target: float, *, per_round: int, max_rounds: int) -> bool:
    """One statement as the runtime role under the policies against the BYPASSRLS
    role, interleaved; prints both times and the ratio against `target`."""
    times: dict[str, list[float]] = {"rls": [], "bypass": []}

    def rls() -> float:
        times["rls"].append(_rls_block(org, sql, params, per_round))
        return times["rls"][-1]

    def bypass() -> float:
        times["bypass"].append(_bypass_block(sql, params, per_round))
        return times["bypass"][-1]

    ratios = interleave(rls, bypass, max_rounds)
    with_rls, without = statistics.median(times["rls"]), statistics.median(times["bypass"])
    print(f"\n{name}: {with_rls:.3f} ms with RLS, {without:.3f} ms without")
    return report(f"  RLS / no RLS, {name}", ratios, target)


def skew_cost(big, median, *, per_round: int, max_rounds: int) -> dict[str, bool]:
    """The same queries at the big clinic against the median clinic, both under RLS."""
    results = {}
    for name, build in hot_querysets().items():
        big_sql = compiled(big, build)
        median_sql = compiled(median, build)
        times: dict[str, list[float]] = {"big": [], "median": []}

        def at_big(big_sql=big_sql, times=times) -> float:
            times["big"].append(_rls_block(big, *big_sql, per_round))
            return times["big"][-1]

        def at_median(median_sql=median_sql, times=times) -> float:
            times["median"].append(_rls_block(median, *median_sql, per_round))
            return times["median"][-1]

        ratios = interleave(at_big, at_median, max_rounds)
        rows = (_count_rows(big, *big_sql), _count_rows(median, *median_sql))
        print(
            f"\n{name}: {statistics.median(times['big']):.3f} ms at the big clinic ({rows[0]} rows), "
            f"{statistics.median(times['median']):.3f} ms at the median clinic ({rows[1]} rows)"
        )
        target = None if name in GROWS_WITH_THE_CLINIC else SKEW_TARGET
        results[name] = report(f"  big / median, {name}", ratios, target)
    return results


def _count_rows(org, sql, params) -> int:
    from django.db import connections

    from tenancy.context import tenant_context

    with tenant_context(org=org), connections["default"].cursor() as cursor:
        cursor.execute(sql, params)
        return len(cursor.fetchall())


def explain(org, *, names: set[str] | None = None) -> None:
    """The plan under RLS of each query: organization_id must be an index condition."""
    from django.db import connections

    from tenancy.context import tenant_context

    for name, build in hot_querysets().items():
        if names and name not in names:
            continue
        sql, params = compiled(org, build)
        with tenant_context(org=org), connections["default"].cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
        conditions = [line.strip() for line in plan if "Index Cond" in line and "organization_id" in line]
        verdict = "organization_id is an index condition" if conditions else "NO organization_id index condition"
        print(f"\nEXPLAIN under RLS, {name}: {verdict}")
        for line in plan:
            print(f"    {line}")


def proof_call_us(org) -> float:
    """One call of the policies' tenancy_proven_org(), in microseconds: what RLS adds to
    a statement once per tenant table it reads (an InitPlan each)."""
    from django.db import connections

    from tenancy.context import tenant_context

    with tenant_context(org=org), connections["default"].cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) SELECT tenancy_proven_org() FROM generate_series(1, 20000)")
        per_call = cursor.fetchone()[0][0]["Execution Time"] / 20000 * 1000
    print(f"\none call of tenancy_proven_org() (the policy's proof check): {per_call:.1f} us")
    return per_call
