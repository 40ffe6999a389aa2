"""Appointment status: the allowed transitions, the history they leave, and the
querysets that read the schedule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.appointments.models import Appointment, AppointmentStatusChange
from clinic.appointments.services import SlotConflict, appointment_book, appointment_cancel, appointment_set_status
from tenancy.context import tenant_context
from tests.support import factories

Status = Appointment.Status


@pytest.fixture
def booked(org_a, owner_a):
    """A booking starting in an hour, by clinic A's owner."""
    with tenant_context(org=org_a):
        starts_at = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
        return appointment_book(
            patient=factories.patient(first_name="Jane", last_name="Doe"),
            provider=factories.provider(title="Dr", name="Ada Lovelace"),
            appointment_type=factories.appointment_type(),
            starts_at=starts_at,
            booked_by=owner_a,
        )


def history(appointment) -> list[tuple[str, str]]:
    return list(appointment.status_changes.values_list("from_status", "to_status"))


def test_every_status_has_its_transitions():
    assert set(Appointment.TRANSITIONS) == set(Status.values)
    for targets in Appointment.TRANSITIONS.values():
        assert targets <= set(Status.values)


@pytest.mark.parametrize("status", Status)
@pytest.mark.parametrize("started", [False, True])
def test_the_status_buttons_are_the_models_allowed_statuses(status, started):
    """One rule: what the model allows is what the schedule and the detail page offer."""
    from clinic.staff.views.day_grid import QUICK_ACTIONS, quick_actions

    starts_at = dt.datetime(2030, 1, 7, 9, tzinfo=dt.UTC)
    appointment = Appointment(status=status, starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=30))
    now = starts_at + (dt.timedelta(minutes=5) if started else -dt.timedelta(hours=1))
    allowed = appointment.allowed_statuses(now)
    assert allowed == [
        target
        for target in Status
        if target in Appointment.TRANSITIONS[status] and (started or target != Status.NO_SHOW)
    ]
    assert [action.status for action in quick_actions(appointment, now)] == [
        target for target, _ in QUICK_ACTIONS if target in allowed
    ]


def test_booking_starts_the_history(org_a, owner_a, booked):
    with tenant_context(org=org_a):
        change = AppointmentStatusChange.objects.get()
        assert (change.appointment, change.from_status, change.to_status) == (booked, "", Status.SCHEDULED)
        assert change.changed_by == owner_a
        assert str(change) == "booked → Scheduled"


def test_a_visit_goes_from_scheduled_to_completed(org_a, owner_a, staff_a, booked):
    with tenant_context(org=org_a):
        before = timezone.now()
        appointment_set_status(appointment=booked, status=Status.CONFIRMED, changed_by=None)
        appointment_set_status(appointment=booked, status=Status.ARRIVED, changed_by=staff_a)
        appointment_set_status(appointment=booked, status=Status.COMPLETED, changed_by=owner_a)
        booked.refresh_from_db()
        assert booked.status == Status.COMPLETED
        assert booked.status_changed_by == owner_a and booked.status_changed_at >= before
        assert history(booked) == [
            ("", "scheduled"),
            ("scheduled", "confirmed"),
            ("confirmed", "arrived"),
            ("arrived", "completed"),
        ]
        assert [c.changed_by for c in booked.status_changes.all()] == [owner_a, None, staff_a, owner_a]


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([Status.ARRIVED, Status.COMPLETED], Status.SCHEDULED),
        ([Status.ARRIVED, Status.COMPLETED], Status.CANCELLED),
        ([Status.CANCELLED], Status.CONFIRMED),
        ([Status.ARRIVED], Status.NO_SHOW),
        ([], Status.COMPLETED),
    ],
)
def test_it_refuses_a_transition_the_front_desk_does_not_make(org_a, owner_a, booked, path, refused):
    with tenant_context(org=org_a):
        for status in path:
            appointment_set_status(appointment=booked, status=status, changed_by=owner_a)
        steps = history(booked)
        with pytest.raises(ValidationError) as excinfo:
            appointment_set_status(appointment=booked, status=refused, changed_by=owner_a)
        assert list(excinfo.value.message_dict) == ["status"]
        booked.refresh_from_db()
        assert booked.status == (path[-1] if path else Status.SCHEDULED)
        assert history(booked) == steps


def test_it_refuses_an_unknown_status(org_a, owner_a, booked):
    with tenant_context(org=org_a), pytest.raises(ValidationError, match="not an appointment status"):
        appointment_set_status(appointment=booked, status="teleported", changed_by=owner_a)


def test_a_no_show_only_once_the_appointment_has_started(org_a, owner_a, booked):
    with tenant_context(org=org_a):
        with pytest.raises(ValidationError, match="only once it has started"):
            appointment_set_status(appointment=booked, status=Status.NO_SHOW, changed_by=owner_a)
        Appointment.objects.filter(pk=booked.pk).update(
            starts_at=timezone.now() - dt.timedelta(minutes=20), ends_at=timezone.now() + dt.timedelta(minutes=10)
        )
        appointment_set_status(appointment=booked, status=Status.NO_SHOW, changed_by=owner_a)
        appointment_set_status(appointment=booked, status=Status.ARRIVED, changed_by=owner_a)
        assert history(booked)[-2:] == [("scheduled", "no_show"), ("no_show", "arrived")]


def test_the_same_status_twice_changes_nothing(org_a, owner_a, booked):
    with tenant_context(org=org_a):
        appointment_set_status(appointment=booked, status=Status.CONFIRMED, changed_by=owner_a)
        appointment_set_status(appointment=booked, status=Status.CONFIRMED, changed_by=owner_a)
        assert history(booked) == [("", "scheduled"), ("scheduled", "confirmed")]


def test_it_judges_the_transition_from_the_stored_status(org_a, owner_a, booked):
    """A stale copy (another desk cancelled meanwhile) does not get to confirm."""
    with tenant_context(org=org_a):
        stale = Appointment.objects.get(pk=booked.pk)
        appointment_cancel(appointment=booked, changed_by=owner_a)
        with pytest.raises(ValidationError, match="cancelled appointment cannot become confirmed"):
            appointment_set_status(appointment=stale, status=Status.CONFIRMED, changed_by=owner_a)


def test_reinstating_a_cancellation_needs_the_slot_to_be_free(org_a, owner_a, booked):
    with tenant_context(org=org_a):
        appointment_cancel(appointment=booked, changed_by=owner_a)
        appointment_set_status(appointment=booked, status=Status.SCHEDULED, changed_by=owner_a)
        appointment_cancel(appointment=booked, changed_by=owner_a)
        taken = appointment_book(
            patient=factories.patient(first_name="John", last_name="Roe"),
            provider=booked.provider,
            appointment_type=booked.appointment_type,
            starts_at=booked.starts_at,
            booked_by=owner_a,
        )
        with pytest.raises(SlotConflict, match="Dr Ada Lovelace already has John Roe") as excinfo:
            appointment_set_status(appointment=booked, status=Status.SCHEDULED, changed_by=owner_a)
        assert excinfo.value.conflicting == taken
        booked.refresh_from_db()
        assert booked.status == Status.CANCELLED


def test_active_upcoming_and_past(org_a):
    now = timezone.now()
    with tenant_context(org=org_a):
        earlier = factories.appointment(starts_at=now - dt.timedelta(days=1), ends_at=now - dt.timedelta(hours=23))
        running = factories.appointment(starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(minutes=25))
        later = factories.appointment(starts_at=now + dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1, hours=1))
        cancelled = factories.appointment(
            starts_at=now + dt.timedelta(days=2), ends_at=now + dt.timedelta(days=2, hours=1), status=Status.CANCELLED
        )
        assert list(Appointment.objects.upcoming(now)) == [later, cancelled]
        assert list(Appointment.objects.past(now)) == [running, earlier]
        assert list(Appointment.objects.active().upcoming(now)) == [later]
        assert set(Appointment.objects.active()) == {earlier, running, later}


def test_the_schedule_querysets_see_only_the_current_clinic(org_a, org_b):
    now = timezone.now()
    with tenant_context(org=org_b):
        factories.appointment(starts_at=now + dt.timedelta(hours=2), ends_at=now + dt.timedelta(hours=3))
    with tenant_context(org=org_a):
        assert Appointment.objects.active().upcoming(now).count() == 0
        assert Appointment.objects.on_day(timezone.localdate(now + dt.timedelta(hours=2)), org_a.zone).count() == 0
    assert Appointment.objects.upcoming(now).count() == 0
