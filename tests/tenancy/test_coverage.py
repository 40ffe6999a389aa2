"""Every concrete TenantModel proves its isolation with two clinics. A model added
later without RLS, without its policy or without a factory fails here."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from tenancy.checks import tenant_models
from tenancy.context import tenant_context
from tenancy.introspection import quote_identifier
from tests.support.factories import TENANT_FACTORIES

MODELS = sorted(tenant_models(), key=lambda model: model._meta.label)


def test_every_tenant_model_has_a_factory():
    missing = [model._meta.label for model in MODELS if model._meta.label not in TENANT_FACTORIES]
    assert missing == [], f"add factories to tests/support/factories.py for {missing}"


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_the_tenant_model_is_isolated(model, org_a, org_b):
    factory = TENANT_FACTORIES[model._meta.label]
    with tenant_context(org=org_a):
        mine = factory()
    with tenant_context(org=org_b):
        theirs = factory()
    table = quote_identifier(model._meta.db_table)

    with tenant_context(org=org_a), connection.cursor() as cursor:
        # The ORM and raw SQL both see only clinic A's rows.
        assert set(model.objects.values_list("organization_id", flat=True)) == {org_a.id}
        assert model.objects.filter(pk=theirs.pk).exists() is False
        cursor.execute(f"SELECT DISTINCT organization_id FROM {table}")  # noqa: S608
        assert cursor.fetchall() == [(org_a.id,)]
        if model.tenant_append_only:
            # No UPDATE at all (tests/audit/test_append_only.py); and no INSERT into clinic B.
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                cursor.execute(f"UPDATE {table} SET organization_id = organization_id WHERE id = %s", [theirs.pk])
        else:
            # Writes cannot reach clinic B's row or move clinic A's row there.
            cursor.execute(f"UPDATE {table} SET organization_id = organization_id WHERE id = %s", [theirs.pk])
            assert cursor.rowcount == 0
            # Moving clinic A's row to B: WITH CHECK refuses it, or a stricter policy
            # (invitations: owners and admins only) leaves the row out of reach.
            try:
                with transaction.atomic():
                    cursor.execute(f"UPDATE {table} SET organization_id = %s WHERE id = %s", [org_b.id, mine.pk])
                    assert cursor.rowcount == 0
            except DatabaseError as exc:
                assert "row-level security" in str(exc)
            assert model.objects.filter(pk=mine.pk).exists()

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        assert cursor.fetchone()[0] == 0, "rows visible with no tenant set"
        cursor.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass", [table])
        assert cursor.fetchone() == (True, True)
