"""The audit table is append-only for the runtime role: INSERT and SELECT, never
UPDATE, DELETE or TRUNCATE, whatever db_roles grants; the checks and rls_audit know."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from clinic.audit.models import AuditEvent
from tenancy import introspection
from tenancy.checks import database_problems
from tenancy.context import TenantContextError, tenant_context
from tenancy.management.commands.rls_audit import collect_findings
from tests.support import factories
from tests.support.database import raw_connection
from tests.support.rls_audit import assert_clean, call_audit, expected_exit_code

TABLE = "audit_auditevent"


@pytest.fixture
def event_a(org_a):
    with tenant_context(org=org_a):
        return factories.audit_event()


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {TABLE} SET action = 'login' WHERE id = %(id)s",
        f"UPDATE {TABLE} SET at = now() - interval '10 years'",
        f"DELETE FROM {TABLE} WHERE id = %(id)s",
        f"DELETE FROM {TABLE}",
        f"TRUNCATE {TABLE}",
    ],
)
def test_the_runtime_role_cannot_change_or_delete_an_event(org_a, event_a, statement):
    with tenant_context(org=org_a):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, {"id": event_a.pk})
        assert AuditEvent.objects.get(pk=event_a.pk).action == AuditEvent.Action.VIEW


def test_it_may_insert_and_read_its_own_clinics_events_only(org_a, org_b, event_a):
    with tenant_context(org=org_b):
        factories.audit_event()
        assert set(AuditEvent.objects.values_list("organization_id", flat=True)) == {org_b.id}
    with tenant_context(org=org_a):
        assert list(AuditEvent.objects.filter(object_type="test")) == [event_a]
        assert set(AuditEvent.objects.values_list("organization_id", flat=True)) == {org_a.id}


def test_the_model_refuses_to_update_or_delete(org_a, event_a):
    with tenant_context(org=org_a):
        with pytest.raises(TenantContextError, match="append-only"):
            event_a.save()
        with pytest.raises(TypeError, match="append-only"):
            event_a.delete()


def test_the_grants_stay_append_only_after_db_roles(db):
    call_command("db_roles", database_name=connection.settings_dict["NAME"], verbosity=0)
    with connection.cursor() as cursor:
        assert introspection.current_role_may_rewrite(cursor, TABLE) == []
        cursor.execute(
            "SELECT has_table_privilege(current_user, %s, 'INSERT'), has_table_privilege(current_user, %s, 'SELECT')",
            [TABLE, TABLE],
        )
        assert cursor.fetchone() == (True, True)
    assert database_problems("default") == []


@pytest.mark.django_db(databases=["default", "audit"])
def test_rls_audit_lists_the_table_as_append_only():
    report = collect_findings()
    assert TABLE in report["append_only_tables"]
    assert report["append_only_tables_rewritable"] == []
    assert_clean(report)
    code, out = call_audit()
    assert code == expected_exit_code(), out
    assert f"Append-only table (INSERT and SELECT only, but for the owner): {TABLE}" in out


def test_a_regranted_update_is_a_finding(db):
    """If the runtime role got UPDATE back (a hand-made grant), checks and audit say so."""
    with raw_connection("owner") as conn:
        conn.execute(f"GRANT UPDATE ON {TABLE} TO {connection.settings_dict['USER']}")
        conn.commit()
        try:
            with connection.cursor() as cursor:
                assert introspection.current_role_may_rewrite(cursor, TABLE) == ["UPDATE"]
            assert any("append-only, but this role may UPDATE" in p for p in database_problems("default"))
            with raw_connection("audit") as audit:
                tables = introspection.append_only_tables(audit.cursor())
            assert [t.writers for t in tables if t.table == TABLE] == [(f"{connection.settings_dict['USER']}: UPDATE",)]
        finally:
            conn.execute(f"REVOKE UPDATE ON {TABLE} FROM {connection.settings_dict['USER']}")
            conn.commit()
