"""The runtime role cannot escape row-level security, and the app refuses to serve
when its role could."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from tenancy import introspection
from tenancy.checks import check_runtime_role_cannot_bypass_rls, database_problems
from tenancy.context import tenant_context
from tests.conftest import admin_connection, raw_connection
from tests.tenant_app.models import Ledger


def refused(statement: str, params=None) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_the_runtime_role_is_not_privileged(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        assert introspection.role_bypass_problems(cursor) == []


def test_it_cannot_switch_row_security_off(org_a):
    with tenant_context(org=org_a):
        Ledger.objects.create(name="A")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL row_security = off")
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute("SELECT count(*) FROM tenant_app_ledger")


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER POLICY tenant_isolation ON tenant_app_ledger USING (true)",
        "DROP POLICY tenant_isolation ON tenant_app_ledger",
        "ALTER TABLE tenant_app_ledger DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE tenant_app_ledger NO FORCE ROW LEVEL SECURITY",
        "TRUNCATE tenant_app_ledger",
        "TRUNCATE tenancy_organization CASCADE",
        "CREATE POLICY open ON tenant_app_ledger USING (true)",
        "SET ROLE clinic_owner",
        "CREATE TABLE sneaky (organization_id uuid)",
    ],
)
def test_it_cannot_touch_policies_or_truncate(db, statement):
    refused(statement)


def test_the_checks_pass_for_the_runtime_role(db):
    assert database_problems("default") == []
    assert check_runtime_role_cannot_bypass_rls() == []


@pytest.mark.django_db(databases=["default", "owner"])
def test_the_checks_refuse_to_serve_as_the_owner_role():
    problems = database_problems("owner")
    assert any("owns" in problem and "disable RLS" in problem for problem in problems)


def test_role_bypass_problems_name_a_superuser(db):
    with admin_connection() as conn:
        problems = introspection.role_bypass_problems(conn.cursor())
    assert any("superuser" in problem for problem in problems)


def test_role_bypass_problems_name_the_owner_role(db):
    with raw_connection("owner") as conn:
        problems = introspection.role_bypass_problems(conn.cursor())
    assert any("owns" in problem for problem in problems)


def test_db_roles_is_idempotent(db):
    name = connection.settings_dict["NAME"]
    call_command("db_roles", database_name=name, verbosity=0)
    call_command("db_roles", database_name=name, verbosity=0)
    assert database_problems("default") == []
