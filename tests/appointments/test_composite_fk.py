"""The composite foreign keys: raw SQL in clinic A cannot point at clinic B's rows,
even though PostgreSQL checks foreign keys without row-level security."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from tenancy.context import tenant_context
from tests.support import factories


@pytest.fixture
def rows(org_a, org_b):
    with tenant_context(org=org_a):
        mine = factories.appointment()
        hours = factories.working_hours()
        change = factories.appointment_status_change(appointment=mine)
    with tenant_context(org=org_b):
        theirs = factories.appointment()
    return {"appointment": mine, "hours": hours, "change": change, "theirs": theirs}


REPOINTS = [
    ("appointments_appointment", "patient_id", "appointment", lambda theirs: theirs.patient_id),
    ("appointments_appointment", "provider_id", "appointment", lambda theirs: theirs.provider_id),
    ("appointments_appointment", "appointment_type_id", "appointment", lambda theirs: theirs.appointment_type_id),
    ("appointments_workinghours", "provider_id", "hours", lambda theirs: theirs.provider_id),
    ("appointments_appointmentstatuschange", "appointment_id", "change", lambda theirs: theirs.pk),
]


@pytest.mark.parametrize(("table", "column", "row", "target"), REPOINTS, ids=[f"{t}.{c}" for t, c, _, _ in REPOINTS])
def test_a_row_cannot_point_at_another_clinics_row(org_a, rows, table, column, row, target):
    with tenant_context(org=org_a), connection.cursor() as cursor:
        with pytest.raises(IntegrityError, match="foreign key"), transaction.atomic():
            cursor.execute(
                f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
                [target(rows["theirs"]), rows[row].pk],
            )
            assert cursor.rowcount == 1  # the row is ours; only the reference is refused
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_new_appointment_cannot_reference_another_clinics_patient(org_a, rows):
    mine, theirs = rows["appointment"], rows["theirs"]
    with tenant_context(org=org_a), connection.cursor() as cursor:
        with pytest.raises(IntegrityError, match="foreign key"), transaction.atomic():
            cursor.execute(
                """INSERT INTO appointments_appointment (id, organization_id, patient_id, provider_id,
                   appointment_type_id, starts_at, ends_at, status, notes, created_at, updated_at, status_changed_at)
                   VALUES (gen_random_uuid(), %s, %s, %s, %s, now() + interval '1 year',
                           now() + interval '1 year 1 hour', 'scheduled', '', now(), now(), now())""",
                [org_a.id, theirs.patient_id, mine.provider_id, mine.appointment_type_id],
            )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_same_references_within_the_clinic_are_fine(org_a, rows):
    mine = rows["appointment"]
    with tenant_context(org=org_a):
        other = factories.patient()
    with tenant_context(org=org_a), connection.cursor() as cursor:
        cursor.execute("UPDATE appointments_appointment SET patient_id = %s WHERE id = %s", [other.pk, mine.pk])
        assert cursor.rowcount == 1
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checks the deferred keys now: no error


def test_deleting_a_user_clears_their_name_from_every_clinics_history(org_a):
    """status_changed_by / changed_by: ON DELETE SET NULL in the database, because
    Django's own SET_NULL runs under RLS and would reach one clinic at most."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint
               WHERE contype = 'f' AND confrelid = 'accounts_user'::regclass
                 AND conrelid::regclass::text LIKE 'appointments_%%' ORDER BY 1"""
        )
        keys = cursor.fetchall()
    assert [table for table, _ in keys] == [
        "appointments_appointment",
        "appointments_appointmentmove",
        "appointments_appointmentstatuschange",
    ]
    for _, definition in keys:
        assert "ON DELETE SET NULL" in definition
