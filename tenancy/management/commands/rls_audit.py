"""The hardening report a security reviewer asks for, recomputed from the catalog.

Runs as the audit role (BYPASSRLS, SELECT only) so orphan rows of every clinic are
counted. Exit status 1 on any finding."""

from __future__ import annotations

import json
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections

from tenancy import introspection, non_tenant, session_activity
from tenancy.database import APP_ALIAS, AUDIT_ALIAS


def collect_findings(using: str = AUDIT_ALIAS) -> dict:
    with connections[using].cursor() as cursor:
        tables = introspection.table_security(cursor)
        definers = introspection.security_definer_functions(cursor)
        append_only = introspection.append_only_tables(cursor)
        orphans = introspection.orphan_counts(cursor, [t.table for t in tables])
        report = {
            "database": connections[using].settings_dict["NAME"],
            "orphans": {table: count for table, count in orphans.items() if count},
            "rows_checked_tables": len(orphans),
            "nullable_organization_id": [t.table for t in tables if t.org_nullable],
            "foreign_keys_without_cascade": introspection.foreign_keys_without_cascade(cursor),
            "organization_id_not_a_foreign_key": introspection.tables_without_org_foreign_key(cursor),
            "tenant_foreign_keys_not_composite": introspection.single_column_tenant_foreign_keys(cursor),
            "unique_constraints_without_organization_id": introspection.unique_constraints_without_org(cursor),
            "tables_without_organization_index": introspection.tables_without_org_leading_index(cursor),
            "rls_not_enabled": [t.table for t in tables if not t.rls_enabled],
            "rls_not_forced": [t.table for t in tables if not t.rls_forced],
            "no_policy": [t.table for t in tables if t.policies == 0],
            "policies_trusting_unproven_tenant": [f"{t.table}.{p}" for t in tables for p in t.unproven_policies],
            # Not findings: UNIQUE constraints declared platform-wide routing keys.
            "platform_unique_keys": introspection.unique_constraints_without_org(cursor, platform_unique=True),
            "security_definer_without_search_path": [f.signature for f in definers if not f.fixed_search_path],
            "security_definer_executable_by_public": [f.signature for f in definers if f.public_execute],
            "pre_tenant_lookups": [f.signature for f in definers if f.pre_tenant_lookup],
            "tenant_proof_functions": [f.signature for f in definers if not f.pre_tenant_lookup],
            # Not findings: tables declared append-only (INSERT and SELECT only).
            "append_only_tables": [t.table for t in append_only],
            "append_only_tables_rewritable": [f"{t.table} ({', '.join(t.writers)})" for t in append_only if t.writers],
            **_non_tenant_findings(cursor),
        }
    covered = sum(1 for t in tables if t.covered)
    report["coverage"] = {
        "covered": covered,
        "tables": len(tables),
        "percent": round(100 * covered / len(tables), 1) if tables else 0.0,
    }
    report["ok"] = bool(tables) and not any(report[key] for key in FINDING_TITLES)
    return report


def _non_tenant_findings(cursor) -> dict:
    """What SQL run as the runtime role reaches beyond the tenant tables: every table
    without organization_id against its declaration (NON_TENANT_TABLES), and other
    sessions' query text."""
    runtime = settings.DATABASE_ROLES[APP_ALIAS].user
    declared = non_tenant.declarations()
    rows = non_tenant.review(introspection.non_tenant_table_facts(cursor, runtime), declared)
    found = {row["table"] for row in rows}
    return {
        # Not a finding: the report of every table without organization_id.
        "non_tenant_tables": rows,
        "non_tenant_tables_undeclared": [row["table"] for row in rows if row["kind"] is None],
        "non_tenant_tables_not_as_declared": [
            f"{row['table']}: {row['check']}" for row in rows if row["kind"] is not None and row["check"] != "ok"
        ],
        # Not a finding: a declaration for a table this database does not have.
        "non_tenant_declared_but_absent": sorted(set(declared) - found),
        "runtime_role_reads_other_sessions_queries": session_activity.usable_by(cursor, runtime),
    }


FINDING_TITLES = {
    "orphans": "Orphan rows (organization no longer exists)",
    "nullable_organization_id": "Nullable organization_id columns",
    "foreign_keys_without_cascade": "Foreign keys to organizations without ON DELETE CASCADE",
    "organization_id_not_a_foreign_key": "organization_id columns that are not a foreign key",
    "tenant_foreign_keys_not_composite": "Tenant-to-tenant foreign keys without organization_id",
    "unique_constraints_without_organization_id": "UNIQUE constraints without organization_id",
    "tables_without_organization_index": "Tables with no index leading with organization_id",
    "rls_not_enabled": "Tables without ROW LEVEL SECURITY enabled",
    "rls_not_forced": "Tables without FORCE ROW LEVEL SECURITY",
    "no_policy": "Tables with no RLS policy",
    "policies_trusting_unproven_tenant": "Policies reading app.org_id / app.user_id without the proof",
    "security_definer_without_search_path": "SECURITY DEFINER functions without a fixed search_path",
    "security_definer_executable_by_public": "SECURITY DEFINER functions PUBLIC may execute",
    "append_only_tables_rewritable": "Append-only tables another role than the owner may UPDATE, DELETE or TRUNCATE",
    "non_tenant_tables_undeclared": "Tables without organization_id not declared in NON_TENANT_TABLES",
    "non_tenant_tables_not_as_declared": "Tables without organization_id whose declared protection does not hold",
    "runtime_role_reads_other_sessions_queries": "Other sessions' query text the runtime role may read",
}


class Command(BaseCommand):
    help = "Audit tenant isolation: orphans, NOT NULL, cascades, RLS coverage. Exit 1 on any finding."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print the report as JSON.")
        parser.add_argument("--database", default=AUDIT_ALIAS, help="Database alias to audit as.")

    def handle(self, *args, as_json: bool = False, database: str = AUDIT_ALIAS, **options) -> None:
        try:
            report = collect_findings(database)
        except DatabaseError as exc:
            raise CommandError(f"Cannot audit the database: {exc}") from exc
        if as_json:
            self.stdout.write(_dumps(report))
        else:
            self._print(report)
        if not report["ok"]:
            sys.exit(1)

    def _print(self, report: dict) -> None:
        self.stdout.write(f"Row-level security audit of database {report['database']}\n")
        for key, title in FINDING_TITLES.items():
            found = report[key]
            if not found:
                self.stdout.write(f"  ok    {title}: none")
                continue
            self.stdout.write(self.style.ERROR(f"  FAIL  {title}:"))
            items = found.items() if isinstance(found, dict) else ((item, None) for item in found)
            for item, count in items:
                self.stdout.write(f"          {item}" + (f": {count} rows" if count is not None else ""))
        for key in report["platform_unique_keys"]:
            self.stdout.write(
                f"  note  Platform-wide routing key (declared, deliberately without organization_id): {key}"
            )
        for table in report["append_only_tables"]:
            self.stdout.write(f"  note  Append-only table (INSERT and SELECT only, but for the owner): {table}")
        self._print_non_tenant_tables(report)
        lookups = ", ".join(report["pre_tenant_lookups"]) or "none"
        self.stdout.write(f"\nPre-tenant lookups (SECURITY DEFINER): {lookups}")
        proofs = ", ".join(report["tenant_proof_functions"]) or "none"
        self.stdout.write(f"Tenant-proof functions the policies call (SECURITY DEFINER): {proofs}")
        coverage = report["coverage"]
        line = f"\nRLS coverage: {coverage['covered']}/{coverage['tables']} tables ({coverage['percent']:g}%)"
        self.stdout.write(line)
        verdict = self.style.SUCCESS("PASS") if report["ok"] else self.style.ERROR("FAIL")
        self.stdout.write(f"Result: {verdict}")

    def _print_non_tenant_tables(self, report: dict) -> None:
        """Every table without organization_id: its protection, the reason it is enough,
        and whether the catalog agrees."""
        self.stdout.write("\nTables without organization_id (NON_TENANT_TABLES):")
        for row in report["non_tenant_tables"]:
            if row["check"] == "ok":
                self.stdout.write(f"  ok    {row['table']}: {row['kind']} ({row['reason']})")
            else:
                self.stdout.write(self.style.ERROR(f"  FAIL  {row['table']}: {row['kind'] or '-'}: {row['check']}"))
        for table in report["non_tenant_declared_but_absent"]:
            self.stdout.write(f"  note  Declared but not in this database: {table}")


def _dumps(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=True)
