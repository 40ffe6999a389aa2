"""Data for the voice worker tests, made in the worker's own database by a
`manage.py shell` of its own: two clinics whose patients share a phone number, and a
message left at each through the signed webhooks (the recording jobs are deferred as
the webhooks defer them). Prints JSON for the test to read."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib.auth import get_user_model
from django.test import Client

from clinic.appointments.services import patient_create
from clinic.voice.models import Voicemail
from tenancy.context import tenant_context
from tenancy.services import organization_create
from tests.support.voice import enable_voice, voicemail_left

CALLER = "+14155550123"


def seed(*, suspend: str = "") -> None:
    clinics = []
    for slug, number in (("voice-a", "+12025550177"), ("voice-b", "+12025550178")):
        owner = get_user_model().objects.create_user(
            username=f"{slug}-owner", email=f"{slug}@example.test", password="x-unused-x"
        )
        org = organization_create(name=slug.title(), slug=slug, timezone="UTC", owner=owner)
        with tenant_context(org=org):
            enable_voice(number)
            patient = patient_create(first_name="Jane", last_name=slug, date_of_birth=dt.date(1980, 1, 1), phone=CALLER)
        if slug == suspend:
            from clinic.lifecycle.services import clinic_suspend

            operator = get_user_model().objects.create_user(
                username="operator", email="operator@example.test", is_staff=True, is_superuser=True
            )
            clinic_suspend(organization_id=org.id, changed_by=operator, reason="Invoice unpaid")
        _, recording_sid = voicemail_left(Client(), to=number, from_=CALLER, text=f"Message for {slug}")
        with tenant_context(org=org):
            voicemail = Voicemail.objects.get(recording_sid=recording_sid)
        clinics.append(
            {"org": str(org.id), "patient": str(patient.id), "voicemail": str(voicemail.id), "sid": recording_sid}
        )
    print(json.dumps(clinics))  # noqa: T201


def reactivate(org_id: str) -> None:
    from clinic.lifecycle.services import clinic_reactivate

    operator = get_user_model().objects.get(username="operator")
    clinic_reactivate(organization_id=org_id, changed_by=operator, reason="Paid")
