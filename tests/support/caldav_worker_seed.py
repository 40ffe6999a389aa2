"""Data for the CalDAV worker test, created in the worker's own database by a
`manage.py shell` of its own (the worker sees only committed rows). Prints JSON."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib.auth import get_user_model
from django.utils import timezone

from clinic.appointments.models import Appointment, AppointmentType, Patient, Provider
from clinic.appointments.services import appointment_book, appointment_update, patient_create
from clinic.calendars.caldav.services import caldav_connection_create
from tenancy.context import tenant_context
from tenancy.services import organization_create


def seed(calendar_url: str, password: str) -> None:
    owner = get_user_model().objects.create_user(username="dav-owner", email="dav@example.test", password="x-x-x")
    org = organization_create(name="Dav Clinic", slug="dav-clinic", timezone="Europe/Berlin", owner=owner)
    with tenant_context(org=org):
        AppointmentType.objects.create(name="Visit", default_duration=30)
        provider = Provider.objects.create(name="Ada")
        patient_create(first_name="Pat", last_name="Ient", date_of_birth=dt.date(1980, 1, 1), phone="+12025550111")
        connection = caldav_connection_create(
            provider=provider, url=calendar_url, username="ada", password=password, created_by=owner
        )
    print(json.dumps({"org": str(org.id), "connection": str(connection.id)}))  # noqa: T201


def book(org_id: str) -> None:
    with tenant_context(org=org_id):
        appointment = appointment_book(
            patient=Patient.objects.get(),
            provider=Provider.objects.get(),
            appointment_type=AppointmentType.objects.get(),
            starts_at=timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=2),
            booked_by=None,
        )
    print(json.dumps({"appointment": str(appointment.id)}))  # noqa: T201


def move(org_id: str, appointment_id: str) -> None:
    with tenant_context(org=org_id):
        appointment = Appointment.objects.get(pk=appointment_id)
        appointment_update(
            appointment=appointment, starts_at=appointment.starts_at + dt.timedelta(hours=1), changed_by=None
        )
    print(json.dumps({"moved": appointment_id}))  # noqa: T201
