"""The database itself isolates clinics: raw SQL, no ORM, as the runtime role."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from tenancy.context import tenant_context
from tests.support.database import admin_connection, prove_tenant
from tests.tenant_app.models import Ledger


def set_org(cursor, org_id) -> None:
    prove_tenant(cursor, org_id)


@pytest.fixture
def ledgers(org_a, org_b):
    with tenant_context(org=org_a):
        a = Ledger.objects.create(name="A books")
    with tenant_context(org=org_b):
        b = Ledger.objects.create(name="B books")
    return a, b


def test_it_shows_no_rows_without_a_tenant(ledgers):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tenant_app_ledger")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM tenancy_membership")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM tenancy_organization")
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("empty", [None, ""])
def test_it_refuses_inserts_without_a_tenant(org_a, empty):
    with transaction.atomic(), connection.cursor() as cursor:
        if empty is not None:
            set_org(cursor, empty)
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute(
                "INSERT INTO tenant_app_ledger (id, organization_id, name) VALUES (%s, %s, 'x')",
                [uuid.uuid4(), org_a.id],
            )


def test_it_shows_only_the_current_clinics_rows(ledgers, org_a):
    a, _ = ledgers
    with transaction.atomic(), connection.cursor() as cursor:
        set_org(cursor, org_a.id)
        cursor.execute("SELECT id FROM tenant_app_ledger")
        assert [row[0] for row in cursor.fetchall()] == [a.id]


def test_it_refuses_inserting_a_row_for_another_clinic(org_a, org_b):
    with transaction.atomic(), connection.cursor() as cursor:
        set_org(cursor, org_a.id)
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute(
                "INSERT INTO tenant_app_ledger (id, organization_id, name) VALUES (%s, %s, 'x')",
                [uuid.uuid4(), org_b.id],
            )


def test_it_refuses_moving_a_row_to_another_clinic(ledgers, org_a, org_b):
    a, _ = ledgers
    with transaction.atomic(), connection.cursor() as cursor:
        set_org(cursor, org_a.id)
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute("UPDATE tenant_app_ledger SET organization_id = %s WHERE id = %s", [org_b.id, a.id])


def test_it_cannot_update_or_delete_another_clinics_rows(ledgers, org_a):
    _, b = ledgers
    with transaction.atomic(), connection.cursor() as cursor:
        set_org(cursor, org_a.id)
        cursor.execute("UPDATE tenant_app_ledger SET name = 'stolen' WHERE id = %s", [b.id])
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM tenant_app_ledger WHERE id = %s", [b.id])
        assert cursor.rowcount == 0


def test_the_database_refuses_a_tenant_row_without_an_organization(org_a):
    # As the runtime role the RLS check already refuses it; as a superuser, which
    # skips RLS, the NOT NULL constraint still does.
    with admin_connection() as conn, pytest.raises(psycopg.errors.NotNullViolation):
        conn.execute("INSERT INTO tenant_app_ledger (id, name) VALUES (%s, 'x')", [uuid.uuid4()])


def test_the_database_refuses_a_reference_into_another_clinic(ledgers, org_a):
    """The composite foreign key: clinic A's entry may not point at clinic B's ledger,
    even though a plain foreign key check (which ignores RLS) would find it."""
    _, b = ledgers
    with transaction.atomic(), connection.cursor() as cursor:
        set_org(cursor, org_a.id)
        with pytest.raises(IntegrityError, match="foreign key"), transaction.atomic():
            cursor.execute(
                "INSERT INTO tenant_app_entry (id, organization_id, ledger_id, amount) VALUES (%s, %s, %s, 1)",
                [uuid.uuid4(), org_a.id, b.id],
            )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_runtime_role_deletes_no_clinic_its_own_or_another(ledgers, org_a, org_b):
    """Deleting a clinic cascades to every row of it, audit trail included: only the
    owner role's purge of a closed clinic does that (tests/tenancy/test_injection_roles.py)."""
    for org in (org_a, org_b):
        with tenant_context(org=org_a), connection.cursor() as cursor:
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                cursor.execute("DELETE FROM tenancy_organization WHERE id = %s", [org.id])
    with tenant_context(org=org_a):
        assert list(Ledger.objects.values_list("name", flat=True)) == ["A books"]
    with tenant_context(org=org_b):
        assert list(Ledger.objects.values_list("name", flat=True)) == ["B books"]
