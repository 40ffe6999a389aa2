"""The runtime role cannot escape row-level security, and the app refuses to serve
when its role could."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, ProgrammingError, connection, transaction
from psycopg import sql

from tenancy import introspection
from tenancy.checks import check_runtime_role_cannot_bypass_rls, database_problems
from tenancy.context import tenant_context
from tests.support.database import admin_connection, raw_connection
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


# --- Tables without organization_id: what NON_TENANT_TABLES makes db_roles take back ----


def permission_denied(statement: str, params=None) -> None:
    with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement, params)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO accounts_user_user_permissions (user_id, permission_id) "
        "SELECT u.id, p.id FROM accounts_user u, auth_permission p",
        "DELETE FROM accounts_user_user_permissions",
        "INSERT INTO accounts_user_groups (user_id, group_id) SELECT u.id, g.id FROM accounts_user u, auth_group g",
        "INSERT INTO auth_group (name) VALUES ('platform admins')",
        "UPDATE auth_group SET name = name",
        "INSERT INTO auth_group_permissions (group_id, permission_id) "
        "SELECT g.id, p.id FROM auth_group g, auth_permission p",
        "INSERT INTO auth_permission (name, content_type_id, codename) SELECT 'x', id, 'x' FROM django_content_type",
        "UPDATE auth_permission SET codename = codename",
        "UPDATE django_content_type SET model = model",
        "INSERT INTO django_migrations (app, name, applied) VALUES ('accounts', '9999_forged', now())",
        "UPDATE django_migrations SET applied = now()",
        "DELETE FROM django_migrations",
        "UPDATE django_admin_log SET change_message = ''",
        "DELETE FROM django_admin_log",
        "TRUNCATE django_admin_log",
        "SELECT * FROM tenancy_private.context_key",
    ],
)
def test_the_runtime_role_cannot_write_the_framework_tables(db, statement):
    permission_denied(statement)


def test_the_runtime_role_still_reads_them_and_adds_to_the_admin_log(owner_a):
    from django.contrib.admin.models import ADDITION, LogEntry
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    assert Permission.objects.filter(codename="view_user").exists()
    user_type = ContentType.objects.get_for_model(owner_a)
    LogEntry.objects.create(user=owner_a, content_type=user_type, object_repr="x", action_flag=ADDITION)
    assert LogEntry.objects.count() == 1


def test_db_roles_keeps_them_so_after_its_blanket_grants(db):
    name = connection.settings_dict["NAME"]
    call_command("db_roles", database_name=name, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t, p FROM unnest(ARRAY['auth_group', 'django_migrations', 'django_admin_log']) t, "
            "unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) p WHERE has_table_privilege(t, p)"
        )
        assert cursor.fetchall() == []


# --- Other sessions' query text ------------------------------------------------------


def test_db_roles_warns_when_the_connecting_role_may_not_hide_query_text(db):
    """A connecting role that is not a superuser cannot revoke PUBLIC's access to the
    catalog's views: db_roles says so (and rls_audit fails) instead of claiming it."""
    from tenancy.management.commands.db_roles import _hide_other_sessions_queries

    with admin_connection() as admin:
        admin.execute("GRANT SELECT ON pg_catalog.pg_stat_activity TO PUBLIC")
        admin.commit()
        try:
            with raw_connection("owner") as owner:
                owner.autocommit = True
                warnings = _hide_other_sessions_queries(owner, sql.Identifier(connection.settings_dict["USER"]))
        finally:
            admin.execute("REVOKE SELECT ON pg_catalog.pg_stat_activity FROM PUBLIC")
            admin.commit()
    assert len(warnings) == 1
    assert "may not revoke PUBLIC's access to other sessions' query text" in warnings[0]
    assert "pg_catalog.pg_stat_activity (SELECT)" in warnings[0]


def test_db_roles_hides_pg_stat_statements_where_it_is_installed(db):
    with admin_connection() as admin:
        admin.execute("CREATE EXTENSION pg_stat_statements")
        admin.commit()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT has_table_privilege('pg_stat_statements', 'SELECT')")
                assert cursor.fetchone() == (True,)
            call_command("db_roles", database_name=connection.settings_dict["NAME"], verbosity=0)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT has_table_privilege('pg_stat_statements', 'SELECT'), "
                    "has_function_privilege('pg_stat_statements(boolean)', 'EXECUTE')"
                )
                assert cursor.fetchone() == (False, False)
        finally:
            admin.execute("DROP EXTENSION pg_stat_statements")
            admin.commit()
