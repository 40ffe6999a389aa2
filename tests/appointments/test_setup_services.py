"""The services that set a clinic up: providers, their working hours and appointment
types, each validated by the models and written in one transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from clinic.appointments.models import AppointmentType, Provider, WorkingHours
from clinic.appointments.services import (
    appointment_type_create,
    appointment_type_update,
    provider_create,
    provider_set_active,
    provider_update,
    working_hours_set,
)
from tenancy.context import tenant_context

NINE, ONE, FIVE = dt.time(9), dt.time(13), dt.time(17)


@pytest.fixture
def in_clinic_a(org_a):
    with tenant_context(org=org_a):
        yield org_a


def week_of(provider: Provider) -> dict[int, tuple[dt.time, dt.time]]:
    return {row.weekday: (row.starts, row.ends) for row in WorkingHours.objects.filter(provider=provider)}


def test_a_provider_is_created_in_the_current_clinic(in_clinic_a):
    provider = provider_create(title="Dr", name="Mae Jemison", specialty="Family medicine")
    assert provider.organization_id == in_clinic_a.id
    assert (provider.display_name, provider.active) == ("Dr Mae Jemison", True)


def test_a_provider_needs_a_name(in_clinic_a):
    with pytest.raises(ValidationError) as caught:
        provider_create(name="")
    assert "name" in caught.value.message_dict
    assert not Provider.objects.exists()


def test_updating_a_provider_changes_only_what_is_given(in_clinic_a):
    provider = provider_create(title="Dr", name="Ada Lovelace", specialty="Maths")
    provider_update(provider=provider, name="Ada King", active=False)
    provider.refresh_from_db()
    assert (provider.title, provider.name, provider.specialty, provider.active) == ("Dr", "Ada King", "Maths", False)
    with pytest.raises(TypeError, match="organization"):
        provider_update(provider=provider, organization=None)


def test_a_provider_is_deactivated_and_activated_again(in_clinic_a):
    provider = provider_create(name="Grace Hopper")
    assert provider_set_active(provider=provider, active=False).active is False
    assert Provider.objects.get(pk=provider.pk).active is False
    assert provider_set_active(provider=provider, active=True).active is True
    assert Provider.objects.get(pk=provider.pk).active is True


def test_working_hours_set_the_whole_week(in_clinic_a):
    provider = provider_create(name="Grace Hopper")
    working_hours_set(provider=provider, hours={0: (NINE, FIVE), 4: (NINE, ONE)})
    assert week_of(provider) == {0: (NINE, FIVE), 4: (NINE, ONE)}
    monday = WorkingHours.objects.get(provider=provider, weekday=0)
    working_hours_set(provider=provider, hours={0: (NINE, FIVE), 1: (NINE, ONE)})  # Friday off now
    assert week_of(provider) == {0: (NINE, FIVE), 1: (NINE, ONE)}
    assert WorkingHours.objects.get(provider=provider, weekday=0).pk == monday.pk  # unchanged rows stay
    working_hours_set(provider=provider, hours={})
    assert week_of(provider) == {}


def test_working_hours_that_end_before_they_start_change_nothing(in_clinic_a):
    provider = provider_create(name="Grace Hopper")
    working_hours_set(provider=provider, hours={0: (NINE, FIVE)})
    with pytest.raises(ValidationError, match="must end after they start"):
        working_hours_set(provider=provider, hours={1: (NINE, FIVE), 2: (FIVE, NINE)})
    assert week_of(provider) == {0: (NINE, FIVE)}


def test_a_weekday_must_be_one(in_clinic_a):
    provider = provider_create(name="Grace Hopper")
    with pytest.raises(ValidationError):
        working_hours_set(provider=provider, hours={7: (NINE, FIVE)})
    assert week_of(provider) == {}


def test_an_appointment_type_name_is_taken_once_per_clinic(org_a, org_b):
    with tenant_context(org=org_b):
        appointment_type_create(name="Check-up", default_duration=20)  # another clinic's name
    with tenant_context(org=org_a):
        kind = appointment_type_create(name="Check-up", default_duration=30, colour="#AABBCC")
        assert (kind.default_duration, kind.colour, kind.active) == (30, "#aabbcc", True)
        with pytest.raises(ValidationError, match="already has an appointment type with this name"):
            appointment_type_create(name="Check-up", default_duration=20)
        assert AppointmentType.objects.count() == 1


def test_an_appointment_type_is_updated(in_clinic_a):
    kind = appointment_type_create(name="Check-up", default_duration=30)
    appointment_type_update(appointment_type=kind, default_duration=45, active=False)
    kind.refresh_from_db()
    assert (kind.name, kind.default_duration, kind.active) == ("Check-up", 45, False)
    with pytest.raises(ValidationError):
        appointment_type_update(appointment_type=kind, default_duration=2)
    with pytest.raises(TypeError):
        appointment_type_update(appointment_type=kind, organization=None)
