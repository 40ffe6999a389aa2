"""Changes entered after they happened (imports, the demo clinics): the services take
`at`, record the history at that moment, judge the front-desk rules then, and keep
the history in order."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.appointments.models import Appointment
from clinic.appointments.services import (
    appointment_book,
    appointment_cancel,
    appointment_set_status,
    appointment_update,
)
from tenancy.context import tenant_context
from tests.support import factories

Status = Appointment.Status
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def started():
    """When the appointment of each test starts: 09:00 UTC two days ago."""
    return (timezone.now() - dt.timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)


@pytest.fixture
def people(org_a):
    with tenant_context(org=org_a):
        return {
            "patient": factories.patient(),
            "provider": factories.provider(),
            "appointment_type": factories.appointment_type(default_duration=30),
        }


def book(people, starts_at, **extra) -> Appointment:
    return appointment_book(**people, starts_at=starts_at, booked_by=None, **extra)


def stamps(appointment) -> list[tuple[str, dt.datetime]]:
    return list(appointment.status_changes.values_list("to_status", "changed_at"))


def test_a_visit_is_recorded_when_it_happened(org_a, people, started):
    booked_at = started - dt.timedelta(days=5)
    with tenant_context(org=org_a):
        appointment = book(people, started, at=booked_at)
        appointment_set_status(appointment=appointment, status=Status.CONFIRMED, changed_by=None, at=started - HOUR)
        appointment_set_status(appointment=appointment, status=Status.ARRIVED, changed_by=None, at=started)
        ended = started + dt.timedelta(minutes=30)
        appointment_set_status(appointment=appointment, status=Status.COMPLETED, changed_by=None, at=ended)
        assert stamps(appointment) == [
            ("scheduled", booked_at),
            ("confirmed", started - HOUR),
            ("arrived", started),
            ("completed", ended),
        ]
        appointment.refresh_from_db()
        assert appointment.status_changed_at == ended


def test_without_at_a_change_is_recorded_now(org_a, people, started):
    with tenant_context(org=org_a):
        before = timezone.now()
        appointment = book(people, started + dt.timedelta(days=3))
        appointment_cancel(appointment=appointment, changed_by=None)
        assert all(before <= changed_at <= timezone.now() for _, changed_at in stamps(appointment))


def test_the_rules_are_judged_at_that_moment(org_a, people, started):
    with tenant_context(org=org_a):
        appointment = book(people, started, at=started - dt.timedelta(days=2))
        with pytest.raises(ValidationError, match="only once it has started"):
            appointment_set_status(appointment=appointment, status=Status.NO_SHOW, changed_by=None, at=started - HOUR)
        appointment_set_status(appointment=appointment, status=Status.NO_SHOW, changed_by=None, at=started + HOUR)


def test_a_change_cannot_be_recorded_in_the_future(org_a, people, started):
    with tenant_context(org=org_a):
        with pytest.raises(ValueError, match="in the future"):
            book(people, started, at=timezone.now() + HOUR)
        appointment = book(people, started + dt.timedelta(days=3))
        with pytest.raises(ValueError, match="in the future"):
            appointment_cancel(appointment=appointment, changed_by=None, at=timezone.now() + HOUR)
        assert stamps(appointment)[-1][0] == "scheduled"


def test_the_history_stays_in_order(org_a, people, started):
    with tenant_context(org=org_a):
        appointment = book(people, started, at=started - HOUR)
        with pytest.raises(ValueError, match="before the appointment's last change"):
            appointment_set_status(
                appointment=appointment, status=Status.ARRIVED, changed_by=None, at=started - 2 * HOUR
            )
        with pytest.raises(ValueError, match="before the appointment's last change"):
            appointment_update(appointment=appointment, notes="Late entry", changed_by=None, at=started - 2 * HOUR)


def test_a_move_that_withdraws_a_confirmation_is_recorded_at_that_moment(org_a, people, started):
    later = started + dt.timedelta(days=3)
    with tenant_context(org=org_a):
        appointment = book(people, later, at=started - HOUR)
        appointment_set_status(appointment=appointment, status=Status.CONFIRMED, changed_by=None, at=started)
        appointment_update(appointment=appointment, starts_at=later + HOUR, changed_by=None, at=started + HOUR)
        assert stamps(appointment)[-1] == ("scheduled", started + HOUR)


def test_at_must_be_timezone_aware(org_a, people, started):
    with tenant_context(org=org_a), pytest.raises(ValueError, match="timezone-aware"):
        book(people, started, at=started.replace(tzinfo=None))
