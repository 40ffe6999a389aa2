"""Pruning old audit events: the owner role, through its retention policy, removes
only events older than the cutoff; the runtime role cannot delete any."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from clinic.audit.management.commands.audit_prune import prune, retention_cutoff
from tenancy.context import tenant_context
from tenancy.operations import APPEND_ONLY_PRUNE_SETTING
from tests.support.database import prove_tenant

pytestmark = pytest.mark.django_db(databases=["default", "owner"])


@pytest.fixture(autouse=True)
def _clean_up_the_owners_rows():
    """Their clinics exist only in the runtime connection's uncommitted transaction:
    the deferred foreign keys would fail the test's final constraint check."""
    yield
    prune(timezone.now() + dt.timedelta(days=1))


def insert_as_owner(org, at: dt.datetime) -> uuid.UUID:
    """The owner's connection cannot see the test's uncommitted rows, so its events
    are written on that connection, as clinic `org` (its foreign key is deferred)."""
    event_id = uuid.uuid4()
    with connections["owner"].cursor() as cursor:
        prove_tenant(cursor, org.id)
        cursor.execute(
            "INSERT INTO audit_auditevent (id, organization_id, at, action, actor_type, actor_label, object_type,"
            " changed_fields, user_agent, request_id) VALUES (%s, %s, %s, 'view', 'system', '', 't', '{}', '', '')",
            [event_id, org.id, at],
        )
        prove_tenant(cursor, None)
    return event_id


def remaining(org) -> set[uuid.UUID]:
    with connections["owner"].cursor() as cursor:
        prove_tenant(cursor, org.id)
        cursor.execute("SELECT id FROM audit_auditevent")
        rows = {row[0] for row in cursor.fetchall()}
        prove_tenant(cursor, None)
    return rows


def test_prune_removes_only_events_older_than_the_cutoff_in_every_clinic(org_a, org_b):
    now = timezone.now()
    old_a, old_b = (
        insert_as_owner(org_a, now - dt.timedelta(days=3000)),
        insert_as_owner(org_b, now - dt.timedelta(days=2500)),
    )
    new_a = insert_as_owner(org_a, now - dt.timedelta(days=10))
    assert prune(retention_cutoff(2191, now)) == 2
    assert remaining(org_a) == {new_a} and remaining(org_b) == set()
    assert old_a not in remaining(org_a) and old_b not in remaining(org_b)


def test_the_cutoff_setting_does_not_let_the_runtime_role_delete(org_a):
    with tenant_context(org=org_a), connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [APPEND_ONLY_PRUNE_SETTING, timezone.now().isoformat()])
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            cursor.execute("DELETE FROM audit_auditevent")


def test_the_command_says_how_many(org_a, capsys):
    insert_as_owner(org_a, timezone.now() - dt.timedelta(days=4000))
    call_command("audit_prune")
    assert "Deleted 1 audit event(s)" in capsys.readouterr().out
