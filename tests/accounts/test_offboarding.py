"""Closing the clinic from its own page: only an owner, after typing its name; the
clinic is closed, not deleted (the runtime role that serves the page may not delete a
clinic), so every row of it stays until the owner role's purge after the grace period
(tests/lifecycle/test_closure.py, tests/tenancy/test_injection_roles.py)."""

from __future__ import annotations

import pytest
from django.db import connection

from clinic.audit.models import AuditEvent
from tenancy.checks import tenant_models
from tenancy.context import tenant_context
from tenancy.models import Organization
from tests.support.factories import TENANT_FACTORIES
from tests.support.people import add_member, login, make_user

pytestmark = pytest.mark.django_db
TABLES = sorted({model._meta.db_table for model in tenant_models()} | {"tenancy_membership"})


def fill(org) -> None:
    with tenant_context(org=org):
        for factory in TENANT_FACTORIES.values():
            factory()


def counts(org) -> dict[str, int]:
    """Rows per tenant table with this clinic's organization_id."""
    result = {}
    with tenant_context(org=org.id), connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE organization_id = %s', [org.id])  # noqa: S608
            result[table] = cursor.fetchone()[0]
    return result


def status_of(org) -> str:
    with tenant_context(org=org):
        return Organization.objects.get(pk=org.pk).status


def test_the_owner_closes_the_clinic_on_its_page_after_typing_its_name(client, owner_a, org_a, org_b):
    fill(org_a)
    login(client, owner_a, org_a)
    page = client.get("/clinic/close/").content.decode()
    assert "/audit/?format=csv" in page and "Close the clinic" in page and "30 days" in page
    assert client.post("/clinic/close/", {"name": "Clinic B"}).status_code == 400
    assert status_of(org_a) == Organization.Status.ACTIVE
    before = counts(org_a)
    response = client.post("/clinic/close/", {"name": "Clinic A"})
    assert response.status_code == 302 and response["Location"] == "/clinics/"
    assert status_of(org_a) == Organization.Status.CLOSED and status_of(org_b) == Organization.Status.ACTIVE
    after = counts(org_a)
    assert after["appointments_patient"] == before["appointments_patient"] > 0
    assert after["audit_auditevent"] == before["audit_auditevent"] + 1  # its closing, with who did it
    with tenant_context(org=org_a):
        closed = AuditEvent.objects.get(action=AuditEvent.Action.CLINIC_CLOSED)
        assert closed.actor_user_id == owner_a.id
    picker = client.get("/clinics/").content.decode()
    assert "Closed clinics" in picker and "Download its export" in picker
    assert client.get("/").status_code == 302  # no clinic is active any more


def test_admins_and_staff_do_not_find_the_page(client, org_a, staff_a):
    admin = make_user("ada_admin")
    add_member(org_a, admin, "admin")
    for user in (admin, staff_a):
        login(client, user, org_a)
        assert client.get("/clinic/close/").status_code == 404
        assert client.post("/clinic/close/", {"name": "Clinic A"}).status_code == 404
        client.logout()
    assert status_of(org_a) == Organization.Status.ACTIVE
