"""Deleting a clinic removes all its data by cascade, audit events included, and
leaves other clinics untouched: proven by counting every tenant table."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from tenancy.checks import tenant_models
from tenancy.context import tenant_context
from tenancy.models import Membership, Organization
from tenancy.services import organization_delete
from tests.factories import TENANT_FACTORIES

pytestmark = pytest.mark.django_db
TABLES = sorted({model._meta.db_table for model in tenant_models()} | {"tenancy_membership"})


def fill(org) -> None:
    with tenant_context(org=org):
        for factory in TENANT_FACTORIES.values():
            factory()


def counts(org) -> dict[str, int]:
    """Rows per tenant table with this clinic's organization_id: the policies show a
    context exactly the rows whose organization_id is its clinic's, so this counts
    what is left of a deleted clinic too."""
    result = {}
    with tenant_context(org=org.id), connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE organization_id = %s', [org.id])  # noqa: S608
            result[table] = cursor.fetchone()[0]
    return result


def test_deleting_a_clinic_removes_every_row_of_it_and_nothing_else(org_a, org_b, owner_a, staff_a):
    fill(org_a)
    fill(org_b)
    before_a, before_b = counts(org_a), counts(org_b)
    assert all(before_a[table] > 0 for table in TABLES), before_a
    with tenant_context(org=org_a):
        owner = Membership.objects.get(user=owner_a)
    organization_delete(deleted_by=owner)
    assert counts(org_a) == dict.fromkeys(TABLES, 0)
    assert counts(org_b) == before_b
    with tenant_context(org=org_b):
        assert Organization.objects.filter(pk=org_b.pk).exists()


def test_only_an_owner_may_delete_the_clinic(org_a, staff_a):
    with tenant_context(org=org_a):
        staff = Membership.objects.get(user=staff_a)
    with pytest.raises(PermissionDenied):
        organization_delete(deleted_by=staff)
    assert counts(org_a)["tenancy_membership"] == 2


def test_the_owner_deletes_the_clinic_on_its_page_after_typing_its_name(client, owner_a, org_a, org_b):
    from tests.conftest import login

    fill(org_a)
    before_b = counts(org_b)
    login(client, owner_a, org_a)
    page = client.get("/clinic/delete/").content.decode()
    assert "/audit/?format=csv" in page
    assert client.post("/clinic/delete/", {"name": "Clinic B"}).status_code == 400
    assert counts(org_a)["appointments_patient"] > 0
    response = client.post("/clinic/delete/", {"name": "Clinic A"})
    assert response.status_code == 302 and response["Location"] == "/clinics/"
    assert counts(org_a) == dict.fromkeys(TABLES, 0)
    assert counts(org_b) == before_b
    assert client.get("/").status_code == 302  # no clinic is active any more


def test_admins_and_staff_do_not_find_the_page(client, org_a, staff_a):
    from tests.conftest import add_member, login, make_user

    admin = make_user("ada_admin")
    add_member(org_a, admin, "admin")
    for user in (admin, staff_a):
        login(client, user, org_a)
        assert client.get("/clinic/delete/").status_code == 404
        assert client.post("/clinic/delete/", {"name": "Clinic A"}).status_code == 404
        client.logout()
    assert counts(org_a)["tenancy_membership"] == 3
