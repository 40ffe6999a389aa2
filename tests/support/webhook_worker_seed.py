"""Data for the webhook worker test, created in the worker's own database by a
`manage.py shell` of its own (the worker is a separate process and sees only
committed rows). Prints JSON for the test to read."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib.auth import get_user_model
from django.utils import timezone

from clinic.api.webhooks.services import webhook_endpoint_create
from clinic.appointments.services import appointment_book, patient_create
from tenancy.context import tenant_context
from tenancy.services import organization_create


def clinic_with_endpoint(slug: str, url: str) -> dict:
    from clinic.appointments.models import AppointmentType, Provider

    owner = get_user_model().objects.create_user(
        username=f"{slug}-owner", email=f"{slug}@example.test", password="x-unused-x"
    )
    org = organization_create(name=slug.title(), slug=slug, timezone="UTC", owner=owner)
    with tenant_context(org=org):
        endpoint, secret = webhook_endpoint_create(url=url, created_by=owner)
        AppointmentType.objects.create(name="Visit", default_duration=30)
        Provider.objects.create(name="Dr Who")
        patient_create(first_name="Pat", last_name="Ient", date_of_birth=dt.date(1980, 1, 1), phone="+12025550111")
    return {"org": str(org.id), "endpoint": str(endpoint.id), "secret": secret}


def book(org_id: str) -> None:
    """One booking, committed: its event's delivery job is deferred on commit."""
    from clinic.appointments.models import AppointmentType, Patient, Provider

    with tenant_context(org=org_id):
        appointment = appointment_book(
            patient=Patient.objects.get(),
            provider=Provider.objects.get(),
            appointment_type=AppointmentType.objects.get(),
            starts_at=timezone.now().replace(microsecond=0) + dt.timedelta(days=2),
            booked_by=None,
        )
    print(json.dumps({"appointment": str(appointment.id)}))  # noqa: T201


def rotate(org_id: str, endpoint_id: str) -> None:
    """Rotate the endpoint's secret (committed): prints the new one."""
    from clinic.api.models import WebhookEndpoint
    from clinic.api.webhooks.services import webhook_endpoint_rotate_secret

    with tenant_context(org=org_id):
        _, secret = webhook_endpoint_rotate_secret(endpoint=WebhookEndpoint.objects.get(pk=endpoint_id))
    print(json.dumps({"secret": secret}))  # noqa: T201


def seed(url_a: str, url_b: str) -> None:
    clinics = [clinic_with_endpoint("hooks-a", url_a), clinic_with_endpoint("hooks-b", url_b)]
    print(json.dumps(clinics))  # noqa: T201
