"""`manage.py rls_audit`: recomputed from the catalog, exit 1 on any finding."""

from __future__ import annotations

import json
import uuid
from contextlib import contextmanager

import pytest
from django.db import connection

from tests.conftest import raw_connection, run_manage

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
    assert code == 0, out
    assert "(100%)" in out
    assert "Result: PASS" in out


def test_it_reports_json_for_machines():
    code, out = run_audit("--json")
    report = json.loads(out)
    assert code == 0
    assert report["ok"] is True
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
        from tests.conftest import admin_connection

        with admin_connection() as conn:
            conn.execute("INSERT INTO orphan_rows VALUES (%s, %s)", [uuid.uuid4(), orphan_org])
            conn.commit()
        code, out = run_audit("--json")
    report = json.loads(out)
    assert code == 1
    assert report["orphans"] == {"orphan_rows": 1}
    assert report["organization_id_not_a_foreign_key"] == ["orphan_rows"]
