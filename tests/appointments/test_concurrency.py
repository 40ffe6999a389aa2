"""Two bookings of one slot at the same moment, in two real transactions: exactly
one wins. The data here is committed (the other transaction must see it), so each
test creates its own clinic and deletes it after, which cascades to its rows."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from threading import Event
from types import SimpleNamespace

import psycopg
import pytest
from django.db import connections

from clinic.appointments.models import Appointment
from clinic.appointments.services import SlotConflict, appointment_book
from clinic.core.timezones import localize
from tenancy.context import tenant_context
from tenancy.models import Organization
from tests.support import factories
from tests.support.database import delete_committed_clinics, prove_tenant, raw_connection
from tests.support.locks import WAIT_SECONDS, wait_until_a_backend_waits_for_a_lock

DAY = dt.date(2030, 3, 4)


def closing_connections(fn: Callable) -> Callable:
    """Run `fn` on a thread with Django connections of its own, closed after."""

    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    return run


def set_org(conn: psycopg.Connection, org_id: uuid.UUID) -> None:
    prove_tenant(conn, org_id)


@pytest.fixture
def committed_clinic(django_db_setup, django_db_blocker) -> Iterator[SimpleNamespace]:
    org_id = uuid.uuid4()

    @closing_connections
    def create() -> SimpleNamespace:
        with tenant_context(org=org_id):
            Organization.objects.create(id=org_id, name="Race Clinic", slug=f"race-{org_id}", timezone="Europe/Berlin")
            return SimpleNamespace(
                id=org_id,
                jane=factories.patient(first_name="Jane", last_name="Doe"),
                john=factories.patient(first_name="John", last_name="Roe"),
                ada=factories.provider(title="Dr", name="Ada Lovelace"),
                checkup=factories.appointment_type(name="Check-up", default_duration=30),
                nine=localize(DAY, dt.time(9), Organization(timezone="Europe/Berlin").zone),
            )

    with django_db_blocker.unblock(), ThreadPoolExecutor(1) as pool:
        clinic = pool.submit(create).result()
    yield clinic
    delete_committed_clinics(org_id)


def insert_sql(clinic, patient) -> tuple[str, list]:
    return (
        """INSERT INTO appointments_appointment (id, organization_id, patient_id, provider_id, appointment_type_id,
           starts_at, ends_at, status, notes, created_at, updated_at, status_changed_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, 'scheduled', '', now(), now(), now())""",
        [
            uuid.uuid4(),
            clinic.id,
            patient.pk,
            clinic.ada.pk,
            clinic.checkup.pk,
            clinic.nine,
            clinic.nine + dt.timedelta(minutes=30),
        ],
    )


def count_appointments(clinic) -> int:
    with raw_connection() as conn:
        set_org(conn, clinic.id)
        return conn.execute("SELECT count(*) FROM appointments_appointment").fetchone()[0]


def test_two_transactions_booking_one_slot_exactly_one_commits(committed_clinic):
    clinic = committed_clinic
    with raw_connection() as first, raw_connection() as second, ThreadPoolExecutor(1) as pool:
        set_org(first, clinic.id)
        first.execute(*insert_sql(clinic, clinic.jane))  # not committed yet

        def book_second():
            set_org(second, clinic.id)
            second.execute(*insert_sql(clinic, clinic.john))  # blocks until the first ends

        outcome: Future = pool.submit(book_second)
        wait_until_a_backend_waits_for_a_lock()
        assert not outcome.done()
        first.commit()
        with pytest.raises(psycopg.errors.ExclusionViolation, match="no_provider_overlap"):
            outcome.result(timeout=WAIT_SECONDS)
        second.rollback()
    assert count_appointments(clinic) == 1


def test_the_losing_booking_gets_a_slot_conflict_naming_the_winner(committed_clinic, django_db_blocker):
    clinic = committed_clinic
    first_inserted, first_may_commit = Event(), Event()

    @closing_connections
    def book(patient, *, hold: bool):
        with tenant_context(org=clinic.id):
            appointment = appointment_book(
                patient=patient,
                provider=clinic.ada,
                appointment_type=clinic.checkup,
                starts_at=clinic.nine,
                booked_by=None,
            )
            if hold:
                first_inserted.set()
                assert first_may_commit.wait(WAIT_SECONDS)
        return appointment

    with django_db_blocker.unblock(), ThreadPoolExecutor(2) as pool:
        first = pool.submit(book, clinic.jane, hold=True)
        assert first_inserted.wait(WAIT_SECONDS)
        second = pool.submit(book, clinic.john, hold=False)
        wait_until_a_backend_waits_for_a_lock()
        first_may_commit.set()
        winner = first.result(timeout=WAIT_SECONDS)
        with pytest.raises(SlotConflict) as excinfo:
            second.result(timeout=WAIT_SECONDS)

    assert excinfo.value.messages == ["Dr Ada Lovelace already has Jane Doe at 09:00–09:30 (Europe/Berlin)"]
    assert excinfo.value.conflicting.pk == winner.pk
    # It came from the database: the exclusion violation, caught in a savepoint.
    assert isinstance(excinfo.value.__cause__.__cause__, psycopg.errors.ExclusionViolation)
    assert count_appointments(clinic) == 1
    assert isinstance(winner, Appointment)
