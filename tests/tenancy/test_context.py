"""The tenant context: transaction-local, fail-closed, never silently mixed."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from tenancy.context import TenantContextError, current_org_id, current_user_id, tenant_context
from tests.support.database import delete_committed_clinics, prove_tenant, raw_connection
from tests.tenant_app.models import Ledger


def db_settings() -> tuple[str | None, str | None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.org_id', true), current_setting('app.user_id', true)")
        return cursor.fetchone()


def test_it_sets_and_clears_the_tenant(org_a, owner_a):
    with tenant_context(org=org_a, user=owner_a):
        assert current_org_id() == org_a.id
        assert current_user_id() == owner_a.id
        assert db_settings() == (str(org_a.id), str(owner_a.id))
    assert current_org_id() is None
    assert db_settings() in ((None, None), ("", ""))


def test_the_orm_sees_nothing_without_a_tenant(org_a):
    with tenant_context(org=org_a):
        Ledger.objects.create(name="A")
    assert Ledger.objects.count() == 0
    assert list(Ledger.objects.all()) == []


def test_it_refuses_to_switch_clinics_inside_a_context(org_a, org_b):
    with tenant_context(org=org_a):
        with pytest.raises(TenantContextError), tenant_context(org=org_b):
            pass
        # The outer context is intact.
        assert current_org_id() == org_a.id
        assert db_settings()[0] == str(org_a.id)


def test_it_allows_rejoining_the_same_clinic_and_adding_the_org_to_a_user_context(org_a, owner_a):
    with tenant_context(user=owner_a):
        with tenant_context(org=org_a):
            assert current_user_id() == owner_a.id
            with tenant_context(org=org_a.id):
                assert current_org_id() == org_a.id
        assert current_org_id() is None
        assert db_settings()[0] == ""


def test_an_exception_rolls_back_and_clears_the_tenant(org_a):
    with pytest.raises(ZeroDivisionError), tenant_context(org=org_a):
        Ledger.objects.create(name="rolled back")
        1 / 0  # noqa: B018
    assert current_org_id() is None
    with tenant_context(org=org_a):
        assert Ledger.objects.count() == 0


def test_saving_a_row_for_another_clinic_is_refused_in_python(org_a, org_b):
    with tenant_context(org=org_a), pytest.raises(TenantContextError):
        Ledger(name="x", organization_id=org_b.id).save()


def test_bulk_create_takes_any_iterable_and_claims_each_row(org_a):
    with tenant_context(org=org_a):
        created = Ledger.objects.bulk_create(Ledger(name=name) for name in ("a", "b"))
        assert [ledger.organization_id for ledger in created] == [org_a.id, org_a.id]
        assert Ledger.objects.count() == 2


def test_saving_outside_a_context_is_refused(db):
    with pytest.raises(TenantContextError):
        Ledger(name="x").save()


@pytest.fixture
def committed_clinics():
    """Two clinics with one ledger each, committed for real through the runtime role,
    and deleted again afterwards (deleting a clinic cascades to its rows)."""
    ids = {"A": uuid.uuid4(), "B": uuid.uuid4()}
    with raw_connection() as conn:
        for label, org_id in ids.items():
            with conn.transaction():
                prove_tenant(conn, org_id)
                conn.execute(
                    "INSERT INTO tenancy_organization (id, name, slug, timezone, created_at) "
                    "VALUES (%s, %s, %s, 'UTC', now())",
                    [org_id, f"Pooled {label}", f"pooled-{org_id}"],
                )
                conn.execute(
                    "INSERT INTO tenant_app_ledger (id, organization_id, name) VALUES (%s, %s, %s)",
                    [uuid.uuid4(), org_id, f"{label} ledger"],
                )
    yield ids
    delete_committed_clinics(*ids.values())


def test_a_pooled_connection_never_carries_one_clinic_into_the_next(committed_clinics):
    """One connection, as pgbouncer in transaction mode would hand it out: clinic A's
    transaction, then clinic B's, then one with no tenant at all."""
    with raw_connection() as conn:
        with conn.transaction():
            prove_tenant(conn, committed_clinics["A"])
            assert conn.execute("SELECT name FROM tenant_app_ledger").fetchall() == [("A ledger",)]
        assert conn.execute("SELECT current_setting('app.org_id', true)").fetchone()[0] == ""
        conn.commit()
        with conn.transaction():
            prove_tenant(conn, committed_clinics["B"])
            assert conn.execute("SELECT name FROM tenant_app_ledger").fetchall() == [("B ledger",)]
        with conn.transaction():
            assert conn.execute("SELECT count(*) FROM tenant_app_ledger").fetchone()[0] == 0


def test_a_fresh_connection_has_no_tenant_at_all(committed_clinics):
    """The NULL case: the setting was never defined in this session."""
    with raw_connection() as conn:
        assert conn.execute("SELECT current_setting('app.org_id', true)").fetchone()[0] is None
        assert conn.execute("SELECT count(*) FROM tenant_app_ledger").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM tenancy_organization").fetchone()[0] == 0
