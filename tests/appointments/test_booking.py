"""Booking and rescheduling: no double booking, enforced by PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from clinic.appointments.models import Appointment, Patient
from clinic.appointments.services import SlotConflict, appointment_book, appointment_set_status, appointment_update
from clinic.core.timezones import localize
from tenancy.context import tenant_context
from tests.support import factories

BERLIN = ZoneInfo("Europe/Berlin")
DAY = dt.date(2030, 3, 4)


def at(hour: int, minute: int = 0, zone: ZoneInfo = BERLIN) -> dt.datetime:
    return localize(DAY, dt.time(hour, minute), zone)


@pytest.fixture
def clinic(org_a, owner_a):
    """Clinic A's people, created in its tenant context."""
    with tenant_context(org=org_a):
        return SimpleNamespace(
            jane=factories.patient(first_name="Jane", last_name="Doe"),
            john=factories.patient(first_name="John", last_name="Roe"),
            ada=factories.provider(title="Dr", name="Ada Lovelace"),
            grace=factories.provider(title="Dr", name="Grace Hopper"),
            checkup=factories.appointment_type(name="Check-up", default_duration=30),
            user=owner_a,
        )


def book(clinic, *, patient=None, provider=None, starts_at=None, **extra) -> Appointment:
    return appointment_book(
        patient=patient or clinic.jane,
        provider=provider or clinic.ada,
        appointment_type=clinic.checkup,
        starts_at=starts_at or at(9),
        booked_by=clinic.user,
        **extra,
    )


def test_it_books_with_the_types_duration(org_a, clinic):
    with tenant_context(org=org_a):
        appointment = book(clinic, notes="Bring X-rays")
        stored = Appointment.objects.get()
    assert stored.pk == appointment.pk
    assert (stored.starts_at, stored.ends_at) == (at(9), at(9, 30))
    assert stored.status == Appointment.Status.SCHEDULED
    assert (stored.notes, stored.status_changed_by_id, stored.organization_id) == (
        "Bring X-rays",
        clinic.user.pk,
        org_a.id,
    )


def test_it_refuses_an_overlapping_booking_for_the_provider(org_a, clinic):
    with tenant_context(org=org_a):
        first = book(clinic)
        with pytest.raises(SlotConflict) as excinfo:
            book(clinic, patient=clinic.john, starts_at=at(9, 15))
        assert excinfo.value.messages == ["Dr Ada Lovelace already has Jane Doe at 09:00–09:30 (Europe/Berlin)"]
        assert excinfo.value.conflicting == first
        assert Appointment.objects.count() == 1


def test_it_refuses_the_same_patient_with_two_providers_at_once(org_a, clinic):
    with tenant_context(org=org_a):
        book(clinic, provider=clinic.ada)
        with pytest.raises(SlotConflict) as excinfo:
            book(clinic, provider=clinic.grace, starts_at=at(9, 29))
        assert excinfo.value.messages == [
            "Jane Doe already has an appointment with Dr Ada Lovelace at 09:00–09:30 (Europe/Berlin)"
        ]


def test_the_database_refuses_an_overlap_that_skipped_validation(org_a, clinic):
    """Appointment.objects.create() validates nothing: the exclusion constraint
    refuses the row, inside a savepoint, and the conflict is still named."""
    with tenant_context(org=org_a):
        book(clinic)
        with pytest.raises(SlotConflict, match="Dr Ada Lovelace already has Jane Doe at 09:00–09:30"):
            Appointment.objects.create(
                patient=clinic.john,
                provider=clinic.ada,
                appointment_type=clinic.checkup,
                starts_at=at(9, 10),
                ends_at=at(10),
            )
        # The transaction is still usable.
        assert Appointment.objects.count() == 1


def test_raw_sql_cannot_double_book_either(org_a, clinic):
    with tenant_context(org=org_a):
        first = book(clinic)
        with pytest.raises(IntegrityError) as excinfo, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """INSERT INTO appointments_appointment (id, organization_id, patient_id, provider_id,
                   appointment_type_id, starts_at, ends_at, status, notes, created_at, updated_at, status_changed_at)
                   SELECT %s, organization_id, %s, provider_id, appointment_type_id, starts_at, ends_at,
                          'confirmed', '', now(), now(), now()
                   FROM appointments_appointment WHERE id = %s""",
                [uuid.uuid4(), clinic.john.pk, first.pk],
            )
    assert isinstance(excinfo.value.__cause__, psycopg.errors.ExclusionViolation)
    assert excinfo.value.__cause__.diag.constraint_name == "appointments_appointment_no_provider_overlap"


@pytest.mark.parametrize("status", [Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW])
def test_cancelled_and_no_show_appointments_free_their_slot(org_a, clinic, status):
    with tenant_context(org=org_a):
        factories.appointment(
            patient=clinic.jane, provider=clinic.ada, starts_at=at(9), ends_at=at(9, 30), status=status
        )
        again = book(clinic)
        assert Appointment.objects.active().get() == again


def test_back_to_back_appointments_are_allowed(org_a, clinic):
    with tenant_context(org=org_a):
        book(clinic, starts_at=at(9))
        book(clinic, starts_at=at(9, 30))
        book(clinic, starts_at=at(8, 30), ends_at=at(9))
        assert Appointment.objects.count() == 3


def test_another_clinics_bookings_do_not_block(org_a, org_b, clinic):
    with tenant_context(org=org_a):
        book(clinic)
    with tenant_context(org=org_b):
        other = SimpleNamespace(
            jane=factories.patient(first_name="Jane", last_name="Doe", phone=clinic.jane.phone),
            ada=factories.provider(title="Dr", name="Ada Lovelace"),
            checkup=factories.appointment_type(name="Check-up"),
            user=None,
        )
        appointment = book(other, starts_at=at(9))
        assert Appointment.objects.get() == appointment


@pytest.mark.parametrize("inactive", ["provider", "appointment_type"])
def test_it_refuses_an_inactive_provider_or_type(org_a, clinic, inactive):
    with tenant_context(org=org_a):
        target = clinic.ada if inactive == "provider" else clinic.checkup
        target.active = False
        target.save()
        with pytest.raises(ValidationError) as excinfo:
            book(clinic)
        assert list(excinfo.value.message_dict) == [inactive]


def test_an_existing_appointment_keeps_a_provider_who_became_inactive(org_a, clinic):
    with tenant_context(org=org_a):
        appointment = book(clinic)
        clinic.ada.active = False
        clinic.ada.save()
        appointment_update(appointment=appointment, notes="Provider leaving", changed_by=clinic.user)
        appointment_update(appointment=appointment, starts_at=at(10), changed_by=clinic.user)
        appointment_update(appointment=appointment, provider=clinic.grace, changed_by=clinic.user)
        with pytest.raises(ValidationError, match="inactive"):
            appointment_update(appointment=appointment, provider=clinic.ada, changed_by=clinic.user)


def test_it_refuses_another_clinics_patient(org_a, org_b, clinic):
    with tenant_context(org=org_b):
        theirs = factories.patient()
    with tenant_context(org=org_a), pytest.raises(ValidationError) as excinfo:
        book(clinic, patient=theirs)
    assert list(excinfo.value.message_dict) == ["patient"]


def test_it_refuses_naive_times(org_a, clinic):
    with tenant_context(org=org_a), pytest.raises(ValueError, match="timezone-aware"):
        book(clinic, starts_at=dt.datetime(2030, 3, 4, 9))


def test_it_refuses_an_end_before_the_start(org_a, clinic):
    with tenant_context(org=org_a), pytest.raises(ValidationError, match="must end after it starts"):
        book(clinic, starts_at=at(10), ends_at=at(9))


def test_rescheduling_keeps_the_duration_and_checks_the_slot(org_a, clinic):
    with tenant_context(org=org_a):
        blocker = book(clinic, patient=clinic.john, starts_at=at(11))
        appointment = book(clinic, starts_at=at(9), ends_at=at(10))
        appointment_update(appointment=appointment, starts_at=at(14), changed_by=clinic.user)
        appointment.refresh_from_db()
        assert (appointment.starts_at, appointment.ends_at) == (at(14), at(15))
        with pytest.raises(SlotConflict, match="Dr Ada Lovelace already has John Roe at 11:00–11:30"):
            appointment_update(appointment=appointment, starts_at=at(10, 45), changed_by=clinic.user)
        appointment.refresh_from_db()
        assert appointment.starts_at == at(14)
        assert blocker.pk in Appointment.objects.on_day(DAY, BERLIN).values_list("pk", flat=True)


def test_an_end_of_none_is_the_types_usual_length(org_a, clinic):
    with tenant_context(org=org_a):
        scan = factories.appointment_type(name="Scan", default_duration=45)
        appointment = book(clinic, starts_at=at(9), ends_at=at(11))
        appointment_update(appointment=appointment, ends_at=None, changed_by=clinic.user)
        assert (appointment.starts_at, appointment.ends_at) == (at(9), at(9, 30))
        appointment_update(
            appointment=appointment, appointment_type=scan, starts_at=at(13), ends_at=None, changed_by=clinic.user
        )
        appointment.refresh_from_db()
        assert (appointment.starts_at, appointment.ends_at) == (at(13), at(13, 45))


def test_moving_a_confirmed_appointment_needs_a_new_confirmation(org_a, clinic):
    with tenant_context(org=org_a):
        appointment = book(clinic)
        appointment_set_status(appointment=appointment, status=Appointment.Status.CONFIRMED, changed_by=clinic.user)
        appointment_update(appointment=appointment, notes="Parking at the back", changed_by=clinic.user)
        assert appointment.status == Appointment.Status.CONFIRMED
        appointment_update(appointment=appointment, starts_at=at(15), changed_by=clinic.user)
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.SCHEDULED
        steps = list(appointment.status_changes.values_list("from_status", "to_status"))
        assert steps == [("", "scheduled"), ("scheduled", "confirmed"), ("confirmed", "scheduled")]


def test_only_the_notes_of_a_closed_appointment_change(org_a, clinic):
    with tenant_context(org=org_a):
        appointment = book(clinic)
        appointment_set_status(appointment=appointment, status=Appointment.Status.CANCELLED, changed_by=clinic.user)
        appointment_update(appointment=appointment, notes="Called to cancel", changed_by=clinic.user)
        with pytest.raises(ValidationError, match="Only the notes"):
            appointment_update(appointment=appointment, starts_at=at(16), changed_by=clinic.user)


def test_update_refuses_fields_it_does_not_own(org_a, clinic):
    with tenant_context(org=org_a):
        appointment = book(clinic)
        for field in ("status", "organization"):
            with pytest.raises(TypeError):
                appointment_update(appointment=appointment, changed_by=clinic.user, **{field: None})


def test_booking_needs_a_tenant_context(clinic):
    with pytest.raises(Exception, match="tenant context"):
        book(clinic)
    assert Patient.objects.count() == 0
