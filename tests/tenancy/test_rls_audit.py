"""`manage.py rls_audit`: recomputed from the catalog, exit 1 on any finding."""

from __future__ import annotations

import json
import re
import uuid
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connection

from tenancy.non_tenant import KINDS
from tests.support.database import admin_connection, raw_connection, run_manage
from tests.support.rls_audit import assert_clean, expected_exit_code

pytestmark = pytest.mark.django_db


def run_audit(*args: str) -> tuple[int, str]:
    """The real command in its own process, as an operator runs it (and so on its
    own connection, outside the test's transaction)."""
    result = run_manage("rls_audit", *args, env={"DATABASE_NAME": connection.settings_dict["NAME"]})
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout


@contextmanager
def owner_ddl(create: str, drop: str):
    """Committed DDL as the owner role (the audit runs on its own connection), undone after."""
    with raw_connection("owner") as conn:
        conn.execute(create)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(drop)
            conn.commit()


def test_it_passes_on_the_migrated_database():
    code, out = run_audit()
    assert code == expected_exit_code(), out
    assert "(100%)" in out
    assert "Result: PASS" in out


def test_it_reports_json_for_machines():
    code, out = run_audit("--json")
    report = json.loads(out)
    assert code == expected_exit_code()
    assert_clean(report)
    assert report["coverage"]["percent"] == 100.0
    assert report["coverage"]["covered"] == report["coverage"]["tables"] >= 4


def test_it_fails_and_names_a_tenant_table_without_a_policy():
    with owner_ddl(
        "CREATE TABLE leaky_notes (id uuid PRIMARY KEY, organization_id uuid NOT NULL "
        "REFERENCES tenancy_organization ON DELETE CASCADE); CREATE INDEX ON leaky_notes (organization_id)",
        "DROP TABLE leaky_notes",
    ):
        code, out = run_audit()
        report = json.loads(run_audit("--json")[1])
    assert code == 1
    assert "leaky_notes" in out
    assert "Result: FAIL" in out
    assert report["no_policy"] == ["leaky_notes"]
    assert report["rls_not_enabled"] == ["leaky_notes"]
    assert report["coverage"]["covered"] == report["coverage"]["tables"] - 1


def test_it_reports_nullable_columns_missing_cascades_and_plain_tenant_keys():
    with owner_ddl(
        "CREATE TABLE loose_rows (id uuid PRIMARY KEY, organization_id uuid "
        "REFERENCES tenancy_organization, ledger_id uuid REFERENCES tenant_app_ledger (id), "
        "code text UNIQUE)",
        "DROP TABLE loose_rows",
    ):
        code, out = run_audit("--json")
    report = json.loads(out)
    assert code == 1
    assert report["nullable_organization_id"] == ["loose_rows"]
    assert any("loose_rows" in fk for fk in report["foreign_keys_without_cascade"])
    assert any("loose_rows" in fk for fk in report["tenant_foreign_keys_not_composite"])
    assert any("loose_rows" in index for index in report["unique_constraints_without_organization_id"])
    assert report["tables_without_organization_index"] == ["loose_rows"]


def test_it_counts_orphan_rows():
    """An orphan can only appear if a constraint was skipped; the audit still looks."""
    orphan_org = uuid.uuid4()
    with owner_ddl(
        "CREATE TABLE orphan_rows (id uuid PRIMARY KEY, organization_id uuid NOT NULL)",
        "DROP TABLE orphan_rows",
    ):
        from tests.support.database import admin_connection

        with admin_connection() as conn:
            conn.execute("INSERT INTO orphan_rows VALUES (%s, %s)", [uuid.uuid4(), orphan_org])
            conn.commit()
        code, out = run_audit("--json")
    report = json.loads(out)
    assert code == 1
    assert report["orphans"] == {"orphan_rows": 1}
    assert report["organization_id_not_a_foreign_key"] == ["orphan_rows"]


# --- Tables without organization_id (NON_TENANT_TABLES) ----------------------------

RUNTIME_ROLE = settings.DATABASES["default"]["USER"]


def tables_without_organization_id() -> set[str]:
    """Counted here without the audit's own query: every table the superuser sees
    outside the system schemas, but the tenant tables."""
    with admin_connection() as conn:
        rows = conn.execute(
            """SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
                 AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
                 AND NOT (n.nspname = 'public' AND c.relkind IN ('r', 'p') AND EXISTS (
                     SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'organization_id'))"""
        ).fetchall()
    return {name for (name,) in rows}


def test_its_json_lists_every_table_without_organization_id_with_a_kind_and_a_reason():
    report = json.loads(run_audit("--json")[1])
    listed = {row["table"]: row for row in report["non_tenant_tables"]}
    assert set(listed) == tables_without_organization_id()
    assert {"accounts_user", "django_session", "tenancy_private.context_key", "django_admin_log"} <= set(listed)
    assert all(row["kind"] in KINDS and row["reason"] for row in listed.values()), listed
    assert listed["auth_permission"]["kind"] == "read-only"
    assert listed["django_admin_log"]["kind"] == "append-only"
    assert listed["tenancy_private.context_key"]["kind"] == "no-access"
    assert report["non_tenant_tables_undeclared"] == []
    assert report["non_tenant_declared_but_absent"] == []


def test_every_declared_kind_holds():
    report = json.loads(run_audit("--json")[1])
    failing = {row["table"]: row["check"] for row in report["non_tenant_tables"] if row["check"] != "ok"}
    assert failing == {}
    assert report["runtime_role_reads_other_sessions_queries"] == []


def test_the_text_report_lists_each_table_with_its_kind_and_reason():
    _, out = run_audit()
    assert "Tables without organization_id (NON_TENANT_TABLES):" in out
    assert re.search(r"ok +django_migrations: read-only \(.+\)", out), out
    assert re.search(r"ok +django_session: open \(.+\)", out), out


def test_it_fails_and_names_a_table_without_organization_id_that_is_not_declared():
    with owner_ddl("CREATE TABLE feature_flags (name text PRIMARY KEY, enabled boolean)", "DROP TABLE feature_flags"):
        code, out = run_audit()
        report = json.loads(run_audit("--json")[1])
    assert code == 1
    assert "Tables without organization_id not declared in NON_TENANT_TABLES:" in out
    assert re.search(r"FAIL +feature_flags: -: not declared", out), out
    assert report["non_tenant_tables_undeclared"] == ["feature_flags"]
    assert report["ok"] is False


def test_a_view_counts_as_a_table_without_organization_id():
    """A view runs as its owner: what it shows needs declaring like a table."""
    with owner_ddl("CREATE VIEW user_names AS SELECT username FROM accounts_user", "DROP VIEW user_names"):
        report = json.loads(run_audit("--json")[1])
    assert report["non_tenant_tables_undeclared"] == ["user_names"]


@pytest.mark.parametrize(
    ("grant", "revoke", "finding"),
    [
        (
            f"GRANT INSERT ON auth_group TO {RUNTIME_ROLE}",
            f"REVOKE INSERT ON auth_group FROM {RUNTIME_ROLE}",
            "auth_group: declared read-only, but the runtime role may INSERT",
        ),
        (
            f"GRANT UPDATE (app) ON django_migrations TO {RUNTIME_ROLE}",
            f"REVOKE UPDATE (app) ON django_migrations FROM {RUNTIME_ROLE}",
            "django_migrations: declared read-only, but the runtime role may UPDATE",
        ),
        (
            "GRANT DELETE ON django_admin_log TO PUBLIC",
            "REVOKE DELETE ON django_admin_log FROM PUBLIC",
            "django_admin_log: declared append-only, but the runtime role may DELETE",
        ),
        (
            f"GRANT USAGE ON SCHEMA tenancy_private TO {RUNTIME_ROLE}; "
            f"GRANT SELECT ON tenancy_private.context_key TO {RUNTIME_ROLE}",
            f"REVOKE SELECT ON tenancy_private.context_key FROM {RUNTIME_ROLE}; "
            f"REVOKE USAGE ON SCHEMA tenancy_private FROM {RUNTIME_ROLE}",
            "tenancy_private.context_key: declared no-access, but the runtime role may SELECT",
        ),
        (
            f"GRANT TRUNCATE ON django_session TO {RUNTIME_ROLE}",
            f"REVOKE TRUNCATE ON django_session FROM {RUNTIME_ROLE}",
            "django_session: declared open, but the runtime role may TRUNCATE",
        ),
        (
            "ALTER TABLE tenancy_organization DISABLE ROW LEVEL SECURITY",
            "ALTER TABLE tenancy_organization ENABLE ROW LEVEL SECURITY",
            "tenancy_organization: declared rls, but row-level security is not enabled",
        ),
    ],
    ids=["read-only", "read-only by column", "append-only", "no-access", "open", "rls"],
)
def test_it_fails_when_a_declared_kind_does_not_hold(grant, revoke, finding):
    with owner_ddl(grant, revoke):
        code, out = run_audit()
        report = json.loads(run_audit("--json")[1])
    assert code == 1
    assert finding in out
    assert finding in report["non_tenant_tables_not_as_declared"]
    assert report["ok"] is False


def test_it_fails_while_the_runtime_role_may_read_other_sessions_queries():
    with admin_connection() as conn:
        conn.execute(f"GRANT SELECT ON pg_catalog.pg_stat_activity TO {RUNTIME_ROLE}")
        conn.execute(f"GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_get_backend_activity(integer) TO {RUNTIME_ROLE}")
        conn.commit()
        try:
            code, out = run_audit()
            report = json.loads(run_audit("--json")[1])
        finally:
            conn.execute(f"REVOKE SELECT ON pg_catalog.pg_stat_activity FROM {RUNTIME_ROLE}")
            conn.execute(
                f"REVOKE EXECUTE ON FUNCTION pg_catalog.pg_stat_get_backend_activity(integer) FROM {RUNTIME_ROLE}"
            )
            conn.commit()
    assert code == 1
    assert "Other sessions' query text the runtime role may read:" in out
    assert report["runtime_role_reads_other_sessions_queries"] == [
        "pg_catalog.pg_stat_activity (SELECT)",
        "pg_catalog.pg_stat_get_backend_activity(integer) (EXECUTE)",
    ]
