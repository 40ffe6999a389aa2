"""A closed clinic: nobody signs in to it any more (the picker leaves it out, sessions
in it are moved out), its owners download its export during the grace period, then the
owner role's purge deletes it by cascade: no row of it remains in any table, and the other clinic's
rows are untouched."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from clinic.lifecycle.services import clinic_close, clinic_reactivate
from tenancy.context import tenant_context
from tenancy.models import Membership
from tests.support.people import PASSWORD, login

pytestmark = pytest.mark.django_db


def close(org, user):
    return clinic_close(organization_id=org.id, changed_by=user, reason="Practice retired")


def membership_of(org, user) -> Membership:
    with tenant_context(org=org):
        return Membership.objects.get(user=user)


def test_a_session_in_a_closed_clinic_is_moved_out(client, org_a, owner_a, people_a):
    login(client, owner_a, org_a)
    assert client.get("/patients/").status_code == 200
    close(org_a, owner_a)
    response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"] == "/clinics/"
    page = client.get("/clinics/").content.decode()
    assert "Work in Clinic A" not in page and "Closed clinics" in page
    assert client.get("/patients/").status_code == 302


def test_signing_in_no_longer_offers_the_closed_clinic(client, org_a, org_b, owner_a, staff_a):
    close(org_a, owner_a)
    response = client.post("/accounts/login/", {"username": staff_a.username, "password": PASSWORD})
    assert response["Location"] == "/clinics/"
    page = client.get("/clinics/").content.decode()
    assert "Clinic A" not in page  # staff are not offered the export either
    staff = membership_of(org_a, staff_a)
    assert client.post("/clinics/switch/", {"membership": str(staff.pk)}).status_code == 403
    assert client.get("/").status_code == 302


def test_the_owner_downloads_the_export_during_the_grace_period(client, org_a, owner_a, people_a):
    close(org_a, owner_a)
    login(client, owner_a)
    owner = membership_of(org_a, owner_a)
    response = client.post("/clinics/closed/export/", {"membership": str(owner.pk)})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="clinic-clinic-a-export.json"'
    data = json.loads(response.content)
    assert data["clinic"]["status"] == "closed"
    assert sorted(p["profile"]["first_name"] for p in data["patients"]) == ["Jane", "John"]


def test_nobody_else_gets_the_export(client, org_a, org_b, owner_a, owner_b, staff_a, people_a):
    close(org_a, owner_a)
    owner, staff = membership_of(org_a, owner_a), membership_of(org_a, staff_a)
    login(client, staff_a)
    assert client.post("/clinics/closed/export/", {"membership": str(staff.pk)}).status_code == 404
    client.logout()
    login(client, owner_b, org_b)
    assert client.post("/clinics/closed/export/", {"membership": str(owner.pk)}).status_code == 404
    assert client.post("/clinics/closed/export/", {"membership": "nope"}).status_code == 404
    assert client.get("/clinics/closed/export/").status_code == 405


def test_an_open_clinic_has_no_export_here(client, org_a, owner_a):
    login(client, owner_a, org_a)
    owner = membership_of(org_a, owner_a)
    assert client.post("/clinics/closed/export/", {"membership": str(owner.pk)}).status_code == 404


def test_after_the_grace_period_the_export_ends(client, settings, org_a, owner_a, people_a):
    """Then the clinic is due for the owner role's purge (`manage.py purge_closed_clinics`),
    which deletes it; the runtime role serving this page cannot (tests/tenancy/test_injection_roles.py)."""
    close(org_a, owner_a)
    login(client, owner_a)
    owner = membership_of(org_a, owner_a)
    assert client.post("/clinics/closed/export/", {"membership": str(owner.pk)}).status_code == 200
    settings.CLOSED_CLINIC_GRACE_DAYS = 0
    assert client.post("/clinics/closed/export/", {"membership": str(owner.pk)}).status_code == 404


def test_a_reactivated_clinic_is_not_closed_and_cannot_be_reactivated_once_closed(org_a, owner_a):
    from django.core.exceptions import ValidationError

    close(org_a, owner_a)
    with pytest.raises(ValidationError):
        clinic_reactivate(organization_id=org_a.id, changed_by=owner_a, reason="Oops")


@pytest.mark.worker
def test_the_purge_leaves_no_row_of_the_clinic_in_any_table():
    """In a database of its own, with committed rows, counted by the audit role, which
    reads every clinic: every table with an organization_id (tenancy.introspection)."""
    from tests.support.database import manage_or_fail
    from tests.support.worker_harness import own_database, shell_json, sql

    # Every factory's rows, CalDAV passwords included: the commands need the test key.
    key = settings.CALENDAR_CREDENTIALS_KEYS[0]
    with own_database("test_clinic_purge", CLOSED_CLINIC_GRACE_DAYS="0", CALENDAR_CREDENTIALS_KEYS=key) as env:
        ids = shell_json(env, "from tests.support.lifecycle_purge_seed import seed; seed()")
        tables = sql(
            env,
            "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
            "WHERE a.attname = 'organization_id' AND c.relkind = 'r' "
            "AND c.relnamespace = current_schema()::regnamespace ORDER BY 1",
        )
        tables = [row[0] for row in tables]
        assert "audit_auditevent" in tables and "tenancy_membership" in tables and len(tables) > 15

        def counts(org_id: str) -> dict[str, int]:
            union = " UNION ALL ".join(
                f"SELECT '{table}', count(*) FROM \"{table}\" WHERE organization_id = '{org_id}'"  # noqa: S608
                for table in tables
            )
            return {table: int(count) for table, count in sql(env, union)}

        before_a, before_b = counts(ids["a"]), counts(ids["b"])
        assert before_a["appointments_patient"] > 0 and before_a["audit_auditevent"] > 0
        assert all(before_b[table] > 0 for table in ("appointments_patient", "audit_auditevent"))
        # The operator's command, a privileged one: it runs as the owner role.
        assert "Deleted 1 closed clinic(s)" in manage_or_fail("purge_closed_clinics", env=env)
        assert counts(ids["a"]) == dict.fromkeys(tables, 0)
        assert counts(ids["b"]) == before_b
        assert sql(env, f"SELECT count(*) FROM tenancy_organization WHERE id = '{ids['a']}'") == [["0"]]
        assert sql(env, f"SELECT count(*) FROM tenancy_organization WHERE id = '{ids['b']}'") == [["1"]]


def test_the_api_through_a_session_in_a_closed_clinic_answers_403(client, org_a, owner_a):
    login(client, owner_a, org_a)
    close(org_a, owner_a)
    response = client.get("/api/v1/patients/")
    assert response.status_code == 403 and response.json()["error"]["code"] == "clinic_closed"
    assert client.get("/patients/").status_code == 302  # the session is out of the clinic


def test_an_api_key_of_a_closed_clinic_is_refused(org_a, owner_a, api_a):
    close(org_a, owner_a)
    response = api_a.get("patients/")
    assert response.status_code == 403 and response.json()["error"]["code"] == "clinic_closed"
