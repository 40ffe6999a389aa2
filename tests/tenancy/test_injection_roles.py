"""SQL injection cannot take over a clinic's roles, delete the clinic or its audit
trail, or list the platform's clinics.

Each test plays an attacker who runs any SQL they like as the runtime role inside a
transaction the app opened for them: their own clinic and their own user, proven
(tenancy.proof), with whatever role they have there."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.db import DatabaseError, connection, connections, transaction

from clinic.lifecycle.services import clinic_close
from tenancy.context import tenant_context
from tenancy.database import AUDIT_ALIAS, OWNER_ALIAS
from tenancy.models import Membership, Organization
from tenancy.services import organization_create
from tests.support import factories
from tests.support.database import delete_committed_clinics, prove_tenant, raw_connection, run_manage
from tests.support.people import add_member, make_user

pytestmark = pytest.mark.django_db


def sql(statement: str, params=None) -> int:
    """Run `statement` in a savepoint of its own (an error undoes only it); its rowcount."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def refused(statement: str, params=None, match: str = "") -> bool:
    """Whether the database refuses `statement` with an error (matching `match`)."""
    try:
        sql(statement, params)
    except DatabaseError as exc:
        return match in str(exc)
    return False


def roles(org) -> dict[str, str]:
    """username → role in `org`, as the app reads them."""
    with tenant_context(org=org):
        return dict(Membership.objects.values_list("user__username", "role"))


@pytest.fixture
def admin_a(org_a):
    user = make_user("ada_admin_a")
    add_member(org_a, user, Membership.Role.ADMIN)
    return user


def test_staff_can_neither_remove_members_nor_make_themselves_owner(org_a, owner_a, staff_a, admin_a, outsider):
    before = roles(org_a)
    with tenant_context(org=org_a, user=staff_a):
        assert sql("DELETE FROM tenancy_membership") == 0
        assert sql("DELETE FROM tenancy_membership WHERE user_id = %s", [staff_a.id]) == 0
        assert sql("UPDATE tenancy_membership SET role = 'owner' WHERE user_id = %s", [staff_a.id]) == 0
        assert refused(
            "INSERT INTO tenancy_membership (id, organization_id, user_id, role, created_at) "
            "VALUES (%s, %s, %s, 'owner', now())",
            [uuid.uuid4(), org_a.id, outsider.id],
            match="row-level security",
        )
        assert refused(
            "INSERT INTO tenancy_membership (id, organization_id, user_id, role, created_at) "
            "VALUES (%s, %s, %s, 'owner', now()) ON CONFLICT (organization_id, user_id) DO UPDATE SET role = 'owner'",
            [uuid.uuid4(), org_a.id, staff_a.id],
        )
    assert roles(org_a) == before
    assert before == {owner_a.username: "owner", admin_a.username: "admin", staff_a.username: "staff"}


def test_an_admin_can_neither_remove_nor_demote_an_owner(org_a, owner_a, staff_a, admin_a):
    with tenant_context(org=org_a, user=admin_a):
        assert sql("DELETE FROM tenancy_membership WHERE role = 'owner'") == 0
        assert sql("UPDATE tenancy_membership SET role = 'staff' WHERE role = 'owner'") == 0
        assert refused("UPDATE tenancy_membership SET role = 'owner' WHERE user_id = %s", [admin_a.id])
        # What an admin may do, they still may: remove a staff member.
        assert sql("DELETE FROM tenancy_membership WHERE user_id = %s", [staff_a.id]) == 1
    assert roles(org_a) == {owner_a.username: "owner", admin_a.username: "admin"}


def test_the_last_owner_cannot_be_removed_or_demoted_even_by_themselves(org_a, owner_a, staff_a):
    with tenant_context(org=org_a, user=owner_a):
        assert refused("DELETE FROM tenancy_membership WHERE user_id = %s", [owner_a.id], match="one owner")
        assert refused("DELETE FROM tenancy_membership", match="one owner")
        assert refused("UPDATE tenancy_membership SET role = 'admin' WHERE user_id = %s", [owner_a.id])
        # Forgetting the tenant in the same statement, after the deletion, changes nothing:
        # the check does not depend on the transaction's settings.
        assert refused(
            "WITH gone AS (DELETE FROM tenancy_membership WHERE role = 'owner' RETURNING 1) "
            "SELECT set_config('app.org_id', '', true) FROM gone",
            match="one owner",
        )
    with tenant_context(org=org_a, user=owner_a):
        # Nor does putting the check off to the end of the transaction.
        with pytest.raises(DatabaseError, match="one owner"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("DELETE FROM tenancy_membership WHERE user_id = %s", [owner_a.id])
            cursor.execute("SELECT set_config('app.context_proof', '', true)")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # What an owner may do, they still may: remove another member.
        assert sql("DELETE FROM tenancy_membership WHERE user_id = %s", [staff_a.id]) == 1
    assert roles(org_a) == {owner_a.username: "owner"}


def test_one_of_two_owners_may_leave(org_a, owner_a):
    second = make_user("otto_owner_a")
    add_member(org_a, second, Membership.Role.OWNER)
    with tenant_context(org=org_a, user=owner_a):
        assert sql("DELETE FROM tenancy_membership WHERE user_id = %s", [owner_a.id]) == 1
    assert roles(org_a) == {second.username: "owner"}


@pytest.mark.parametrize("who", ["staff", "owner"])
def test_nobody_deletes_the_clinic_or_its_audit_trail_as_the_runtime_role(org_a, owner_a, staff_a, who):
    user = {"staff": staff_a, "owner": owner_a}[who]
    with tenant_context(org=org_a, user=user):
        factories.audit_event()
        events = sql("SELECT 1 FROM audit_auditevent")
        assert refused("DELETE FROM tenancy_organization WHERE id = %s", [org_a.id], match="permission denied")
        assert refused("DELETE FROM tenancy_organization", match="permission denied")
        assert refused("DELETE FROM audit_auditevent", match="permission denied")
        assert refused("TRUNCATE tenancy_organization CASCADE", match="permission denied")
    with tenant_context(org=org_a):
        assert Organization.objects.filter(pk=org_a.pk).exists()
        assert sql("SELECT 1 FROM audit_auditevent") == events > 0
    assert roles(org_a) == {owner_a.username: "owner", staff_a.username: "staff"}


def test_a_clinic_closed_by_sql_still_gets_its_whole_grace_period(org_a, staff_a):
    """Closing the clinic "40 days ago" would have the owner role's next purge delete
    it: the database keeps its own time of the change."""
    with tenant_context(org=org_a, user=staff_a):
        assert refused(
            "UPDATE tenancy_organization SET status_changed_at = now() - interval '40 days'",
            match="set by the database",
        )


@pytest.mark.parametrize("status", ["closed", "suspended"])
def test_a_clinics_status_changes_only_through_the_lifecycle_services(org_a, owner_a, staff_a, status):
    for user in (staff_a, owner_a):
        with tenant_context(org=org_a, user=user):
            assert refused("UPDATE tenancy_organization SET status = %s", [status], match="only through the app")
    closed = clinic_close(organization_id=org_a.id, changed_by=owner_a, reason="Moving on")
    assert closed.status == "closed"
    with tenant_context(org=org_a, user=owner_a):
        assert refused("UPDATE tenancy_organization SET status = 'active'", match="only through the app")
        with connection.cursor() as cursor:
            cursor.execute("SELECT status, status_changed_at = now() FROM tenancy_organization")
            assert cursor.fetchone() == ("closed", True)


def overview_slugs() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT slug FROM platform_clinic_overview()")
        return [slug for (slug,) in cursor.fetchall()]


def test_the_platform_overview_lists_clinics_only_to_a_proven_superuser(org_a, org_b, owner_a, staff_a):
    root = make_user("root_superuser", is_superuser=True, is_staff=True)
    for user in (staff_a, owner_a):
        with tenant_context(org=org_a, user=user):
            assert overview_slugs() == []
        with tenant_context(user=user):
            assert overview_slugs() == []
    with tenant_context(org=org_a):  # a job's context: no user at all
        assert overview_slugs() == []
    with tenant_context(user=staff_a), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.user_id', %s, true)", [str(root.id)])  # unproven
        cursor.execute("SELECT count(*) FROM platform_clinic_overview()")
        assert cursor.fetchone()[0] == 0
    with tenant_context(user=root):
        assert overview_slugs() == ["clinic-a", "clinic-b"]
    root.is_superuser = False
    root.save()
    with tenant_context(user=root):
        assert overview_slugs() == []


# --- Closing and purging: committed rows, seen by the owner role's own process ------


def _committed_clinics() -> dict[str, uuid.UUID]:
    """Three clinics, committed: one closed 31 days ago (due), one closed now, one
    open; each with an audit event. Made on this thread's own connections."""
    suffix = uuid.uuid4().hex[:8]
    try:
        owner = make_user(f"purge_owner_{suffix}")
        ids = {}
        for name in ("due", "recent", "open"):
            org = organization_create(name=f"Purge {name}", slug=f"purge-{name}-{suffix}", timezone="UTC", owner=owner)
            with tenant_context(org=org, user=owner):
                factories.audit_event()
            if name != "open":
                clinic_close(organization_id=org.id, changed_by=owner, reason="Practice retired")
            ids[name] = org.id
        return {**ids, "owner": owner.id}
    finally:
        connections.close_all()


def _count(query: str, params) -> int:
    """As the audit role, which reads every clinic's rows and may change none."""
    with raw_connection(AUDIT_ALIAS) as conn:
        return conn.execute(query, params).fetchone()[0]


def _rows_of(org_id) -> tuple[int, int, int]:
    return (
        _count("SELECT count(*) FROM tenancy_organization WHERE id = %s", [org_id]),
        _count("SELECT count(*) FROM tenancy_membership WHERE organization_id = %s", [org_id]),
        _count("SELECT count(*) FROM audit_auditevent WHERE organization_id = %s", [org_id]),
    )


def test_only_the_owner_roles_purge_deletes_a_closed_clinic_after_its_grace_period(django_db_blocker, settings):
    with django_db_blocker.unblock(), ThreadPoolExecutor(1) as pool:
        ids = pool.submit(_committed_clinics).result()
    try:
        # Only the owner role may move the closing back in time (tenancy/0011).
        with raw_connection(OWNER_ALIAS) as conn, conn.transaction():
            prove_tenant(conn, ids["due"])
            conn.execute(
                "UPDATE tenancy_organization SET status_changed_at = now() - interval '31 days' WHERE id = %s",
                [ids["due"]],
            )
        # Its owner, as the runtime role, cannot delete it even now.
        with raw_connection() as conn, conn.transaction():
            prove_tenant(conn, ids["due"], ids["owner"])
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute("DELETE FROM tenancy_organization WHERE id = %s", [ids["due"]])
        organization, memberships, events = _rows_of(ids["due"])
        assert organization == memberships == 1 and events > 0
        # The operator's command, run as the owner role (a privileged command).
        database = {"DATABASE_NAME": settings.DATABASES["default"]["NAME"], "CLOSED_CLINIC_GRACE_DAYS": "30"}
        result = run_manage("purge_closed_clinics", env=database)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Deleted 1 closed clinic(s)" in result.stdout
        assert _rows_of(ids["due"]) == (0, 0, 0)
        assert _rows_of(ids["recent"])[0] == 1 and _rows_of(ids["open"])[0] == 1
    finally:
        delete_committed_clinics(ids["due"], ids["recent"], ids["open"], users=[ids["owner"]])
