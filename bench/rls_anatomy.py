"""Where row-level security's cost on a statement goes: the audit page (one table, the
median clinic's 50 newest events) as in part a, on copies of its table that differ
only in their policy. Each copy is timed under its policy against the BYPASSRLS role
on the same SQL, so the three ratios split the product's into its parts:

1. `organization_id = <the setting>`: the policy alone, the tenant id trusted as set;
2. the same in a scalar subquery: evaluated once per statement (an InitPlan), which is
   what keeps the check out of the per-row work and `organization_id` an index
   condition, at the price of planning the subquery;
3. the product's policy: that subquery calling `tenancy_proven_org()`, the check of the
   tenant's proof (tenancy.proof) that SQL running as the runtime role cannot forge.

The copies hold the median clinic's events and a sample of the others', live only for
the measurement, and are dropped after it; the product's tables are not touched."""

from __future__ import annotations

from contextlib import contextmanager

from bench.scale_queries import RLS_TARGET, compiled, hot_querysets, rls_ratio

SOURCE = "audit_auditevent"
UNPROVEN = "NULLIF(current_setting('app.org_id', true), '')::uuid"
POLICIES = {
    "the policy alone (tenant id as set)": f"organization_id = {UNPROVEN}",
    "once per statement (subquery)": f"organization_id = (SELECT {UNPROVEN})",
    "the product's (subquery, proof checked)": "organization_id = (SELECT tenancy_proven_org())",
}
OTHERS_SAMPLE = 5  # percent of the other clinics' events copied beside the median's


def anatomy(org, *, per_round: int, max_rounds: int) -> None:
    sql, params = compiled(org, hot_querysets()["audit page"])
    with _copies(org) as tables:
        for (name, _), table in zip(POLICIES.items(), tables, strict=True):
            copied = sql.replace(f'"{SOURCE}"', f'"{table}"')
            rounds = {"per_round": per_round, "max_rounds": max_rounds}
            rls_ratio(org, f"audit page, {name}", copied, params, RLS_TARGET, **rounds)


@contextmanager
def _copies(org):
    """One copy of the audit table per policy, owned by the owner role like the
    original (FORCE makes the policy hold for it too), readable by the runtime and
    audit roles; dropped however the measurement ends."""
    from django.conf import settings
    from django.db import connections

    roles = settings.DATABASE_ROLES
    tables = [f"bench_rls_anatomy_{number}" for number in range(len(POLICIES))]
    with connections["audit"].cursor() as cursor:  # BYPASSRLS: sees every clinic's rows
        cursor.execute(
            f"SELECT * FROM {SOURCE} WHERE organization_id = %s OR random() < %s",  # noqa: S608 (constants)
            [org.id, OTHERS_SAMPLE / 100],
        )
        rows = cursor.fetchall()
    try:
        with connections["owner"].cursor() as cursor:
            for table, policy in zip(tables, POLICIES.values(), strict=True):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute(f"CREATE TABLE {table} (LIKE {SOURCE} INCLUDING DEFAULTS INCLUDING INDEXES)")
                with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
                cursor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
                cursor.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({policy})")
                cursor.execute(f"GRANT SELECT ON {table} TO {roles['default'].user}, {roles['audit'].user}")
                cursor.execute(f"ANALYZE {table}")
        print(f"\n(copies of {SOURCE}: {len(rows):,} rows each, the median clinic's and {OTHERS_SAMPLE}% of the rest)")
        yield tables
    finally:
        with connections["owner"].cursor() as cursor:
            for table in tables:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
