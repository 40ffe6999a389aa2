"""Data for the fairness worker tests, created in the workers' own database by a
`manage.py shell` of its own. Clinic A registers endpoints that never answer; clinic
B has one endpoint at a receiver and texts on. Prints JSON for the test to read."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib.auth import get_user_model
from django.utils import timezone

from clinic.api.webhooks.services import webhook_endpoint_create
from clinic.appointments.services import appointment_book, patient_create
from clinic.messaging.services import send_confirmation_now, sms_settings_save
from tenancy.context import tenant_context
from tenancy.services import organization_create


def _clinic(slug: str, urls: list[str], *, sender: str | None = None) -> str:
    from clinic.appointments.models import AppointmentType, Provider

    owner = get_user_model().objects.create_user(username=f"{slug}-owner", email=f"{slug}@example.test")
    org = organization_create(name=slug.title(), slug=slug, timezone="UTC", owner=owner)
    with tenant_context(org=org):
        for url in urls:
            webhook_endpoint_create(url=url, created_by=owner)
        if sender:
            sms_settings_save(
                enabled=True, sender_number=sender, lead_minutes=[60], send_from=dt.time(0), send_until=dt.time(23, 59)
            )
        AppointmentType.objects.create(name="Visit", default_duration=30)
        Provider.objects.create(name="Dr Who")
        patient_create(first_name="Pat", last_name="Ient", date_of_birth=dt.date(1980, 1, 1), phone="+12025550111")
    return str(org.id)


def seed(stall_url: str, endpoints: int, receiver_url: str) -> None:
    clinic_a = _clinic("fair-a", [f"{stall_url}/a{number}" for number in range(endpoints)])
    clinic_b = _clinic("fair-b", [f"{receiver_url}/b"], sender="+12025550171")
    print(json.dumps({"a": clinic_a, "b": clinic_b}))  # noqa: T201


def book(org_id: str, *, text_now: bool = False) -> None:
    """One booking, committed (a delivery job per endpoint is deferred on commit);
    with `text_now`, then "Send confirmation now" on it, as the front desk would."""
    from clinic.appointments.models import AppointmentType, Patient, Provider

    with tenant_context(org=org_id):
        appointment = appointment_book(
            patient=Patient.objects.get(),
            provider=Provider.objects.get(),
            appointment_type=AppointmentType.objects.get(),
            starts_at=timezone.now().replace(microsecond=0) + dt.timedelta(days=2),
            booked_by=None,
        )
    if text_now:
        with tenant_context(org=org_id):
            send_confirmation_now(appointment=appointment, requested_by=None)
    print(json.dumps({"appointment": str(appointment.id)}))  # noqa: T201
