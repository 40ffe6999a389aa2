"""The tenancy migration operations (RLS, tenant foreign keys, pre-tenant lookups,
platform-unique keys, append-only tables) are reversible."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connections
from django.db.migrations.state import ProjectState

from tenancy.operations import AddTenantForeignKey, EnableRowLevelSecurity

pytestmark = pytest.mark.django_db(databases=["default", "owner"])


def project_state() -> ProjectState:
    from django.apps import apps

    return ProjectState.from_apps(apps)


def rls_state(cursor, table: str) -> tuple[bool, bool, int]:
    cursor.execute(
        "SELECT relrowsecurity, relforcerowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) "
        "FROM pg_class c WHERE oid = %s::regclass",
        [table],
    )
    return cursor.fetchone()


def constraint_names(cursor, table: str) -> set[str]:
    cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'", [table])
    return {row[0] for row in cursor.fetchall()}


def test_enable_row_level_security_goes_backwards_and_forwards():
    """Runs as the owner inside the test's transaction, so nothing outlives the test."""
    operation = EnableRowLevelSecurity("ledger")
    state = project_state()
    owner = connections["owner"]
    with owner.schema_editor(atomic=False) as editor, owner.cursor() as cursor:
        assert rls_state(cursor, "tenant_app_ledger") == (True, True, 1)
        operation.database_backwards("tenant_app", editor, state, state)
        assert rls_state(cursor, "tenant_app_ledger") == (False, False, 0)
        operation.database_forwards("tenant_app", editor, state, state)
        assert rls_state(cursor, "tenant_app_ledger") == (True, True, 1)


def test_add_tenant_foreign_key_goes_backwards_and_forwards():
    operation = AddTenantForeignKey("entry", "ledger")
    state = project_state()
    owner = connections["owner"]
    with owner.schema_editor(atomic=False) as editor, owner.cursor() as cursor:
        before = constraint_names(cursor, "tenant_app_entry")
        operation.database_backwards("tenant_app", editor, state, state)
        removed = before - constraint_names(cursor, "tenant_app_entry")
        assert len(removed) == 1
        operation.database_forwards("tenant_app", editor, state, state)
        assert constraint_names(cursor, "tenant_app_entry") == before


def test_operations_describe_and_deconstruct():
    rls = EnableRowLevelSecurity("ledger")
    assert rls.describe() == "Enable and force row-level security on ledger"
    assert rls.deconstruct() == ("EnableRowLevelSecurity", ["ledger"], {})
    assert rls.migration_name_fragment == "rls_ledger"
    fk = AddTenantForeignKey("entry", "ledger")
    assert fk.deconstruct() == ("AddTenantForeignKey", ["entry", "ledger"], {})


def test_the_system_checks_pass_after_migrate():
    call_command("check", databases=["default"], fail_level="ERROR")


def test_the_checks_name_a_tenant_table_that_is_not_migrated(monkeypatch):
    from tenancy import checks
    from tests.tenant_app.models import Ledger

    monkeypatch.setattr(Ledger._meta, "db_table", "tenant_app_never_migrated")
    problems = checks.database_problems("default")
    assert "tenant_app_never_migrated: table missing (run migrations)" in problems


def function_exists(cursor, name: str) -> bool:
    cursor.execute("SELECT count(*) FROM pg_proc WHERE proname = %s", [name])
    return cursor.fetchone()[0] == 1


def test_add_pre_tenant_lookup_goes_backwards_and_forwards():
    from tenancy.operations import AddPreTenantLookup

    operation = AddPreTenantLookup("messaging_clinic_for_sender", "smssettings", "sender_number")
    state = project_state()
    owner = connections["owner"]
    with owner.schema_editor(atomic=False) as editor, owner.cursor() as cursor:
        policies = rls_state(cursor, "messaging_smssettings")[2]
        operation.database_backwards("messaging", editor, state, state)
        assert not function_exists(cursor, "messaging_clinic_for_sender")
        assert rls_state(cursor, "messaging_smssettings")[2] == policies - 1
        operation.database_forwards("messaging", editor, state, state)
        assert function_exists(cursor, "messaging_clinic_for_sender")
        assert rls_state(cursor, "messaging_smssettings")[2] == policies
    assert operation.deconstruct() == (
        "AddPreTenantLookup",
        ["messaging_clinic_for_sender", "smssettings", "sender_number"],
        {},
    )


def test_mark_platform_unique_goes_backwards_and_forwards():
    from tenancy.operations import PLATFORM_UNIQUE_COMMENT, MarkPlatformUnique

    operation = MarkPlatformUnique("smssettings", "messaging_smssettings_sender_uniq")
    state = project_state()
    owner = connections["owner"]
    comment = "SELECT obj_description('messaging_smssettings_sender_uniq'::regclass, 'pg_class')"
    with owner.schema_editor(atomic=False) as editor, owner.cursor() as cursor:
        operation.database_backwards("messaging", editor, state, state)
        cursor.execute(comment)
        assert cursor.fetchone()[0] is None
        operation.database_forwards("messaging", editor, state, state)
        cursor.execute(comment)
        assert cursor.fetchone()[0] == PLATFORM_UNIQUE_COMMENT


def test_make_append_only_goes_backwards_and_forwards():
    from tenancy.operations import APPEND_ONLY_COMMENT, MakeAppendOnly

    operation = MakeAppendOnly("auditevent")
    state = project_state()
    owner = connections["owner"]
    comment = "SELECT obj_description('audit_auditevent'::regclass, 'pg_class')"
    with owner.schema_editor(atomic=False) as editor, owner.cursor() as cursor:
        policies = rls_state(cursor, "audit_auditevent")[2]
        operation.database_backwards("audit", editor, state, state)
        cursor.execute(comment)
        assert cursor.fetchone()[0] is None
        assert rls_state(cursor, "audit_auditevent")[2] == policies - 2
        operation.database_forwards("audit", editor, state, state)
        cursor.execute(comment)
        assert cursor.fetchone()[0] == APPEND_ONLY_COMMENT
        assert rls_state(cursor, "audit_auditevent")[2] == policies
    assert operation.describe() == "Make auditevent append-only"
    assert operation.deconstruct() == ("MakeAppendOnly", ["auditevent"], {})
    assert operation.migration_name_fragment == "append_only_auditevent"
