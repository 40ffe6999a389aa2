"""Shared set-up for the SMS tests: a clinic with texts on and an appointment due."""

from __future__ import annotations

import datetime as dt
import functools
import uuid

from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.appointments.services import appointment_book
from clinic.messaging.backends import OutgoingSms, SmsBackend, SmsSendError
from clinic.messaging.models import SmsMessage
from clinic.messaging.services import sms_settings_save
from clinic.messaging.webhook_auth import sign
from tenancy.context import tenant_context
from tests.support import factories

INBOUND_URL = "http://testserver" + "/webhooks/sms/twilio/inbound/"
STATUS_URL = "http://testserver" + "/webhooks/sms/twilio/status/"


def enable_sms(sender: str, *, lead_minutes=(2880, 120), send_from=dt.time(0, 0), send_until=dt.time(23, 59)):
    """Texts on, with a window open all day unless a test is about quiet hours."""
    return sms_settings_save(
        enabled=True,
        sender_number=sender,
        clinic_phone="+12025550198",
        lead_minutes=list(lead_minutes),
        send_from=send_from,
        send_until=send_until,
    )


def book_in(people, *, hours: float = 1.0, patient=None, provider=None):
    starts_at = timezone.now().replace(microsecond=0) + dt.timedelta(hours=hours)
    return appointment_book(
        patient=patient or people.jane,
        provider=provider or people.ada,
        appointment_type=people.checkup,
        starts_at=starts_at,
        booked_by=None,
    )


def post_signed(client: Client, url: str, params: dict[str, str]):
    return client.post(url, params, HTTP_X_TWILIO_SIGNATURE=sign(url, params))


def inbound_params(*, to: str, from_: str, body: str, sid: str | None = None) -> dict[str, str]:
    return {"MessageSid": sid or f"SM{uuid.uuid4().hex}", "From": from_, "To": to, "Body": body, "NumMedia": "0"}


def reply(client: Client, *, to: str, from_: str, body: str, sid: str | None = None):
    return post_signed(client, INBOUND_URL, inbound_params(to=to, from_=from_, body=body, sid=sid))


def link_url(token: str) -> str:
    return reverse("messaging:confirm", args=[token])


class RecordingBackend(SmsBackend):
    """The provider, as tests see it: records each text; can be told to fail."""

    name = "recording"
    sent: list[OutgoingSms] = []
    failures: list[SmsSendError] = []

    def send(self, sms: OutgoingSms) -> str:
        if RecordingBackend.failures:
            raise RecordingBackend.failures.pop(0)
        RecordingBackend.sent.append(sms)
        return f"SM{uuid.uuid4().hex}"

    @classmethod
    def reset(cls) -> None:
        cls.sent, cls.failures = [], []


__all__ = ["ValidationError"]


def step_for(org):
    return functools.partial(tenant_context, org=org.id)


TEMPLATE = "Hi {first_name}, {clinic} on {date} at {time}: {link} Questions? {clinic_phone}"


def form_data(**overrides) -> dict:
    data = {
        "enabled": "on",
        "sender_number": "+1 202 555 0142",
        "clinic_phone": "",
        "lead_hours": "48, 2",
        "send_from": "08:00",
        "send_until": "20:30",
        "template": TEMPLATE,
    }
    return {**data, **overrides}


def text(org, *, at: dt.datetime | None = None, **fields) -> SmsMessage:
    """A message of `org`, optionally created at `at` (UTC)."""
    with tenant_context(org=org):
        message = factories.sms_message(**fields)
        if at is not None:
            SmsMessage.objects.filter(pk=message.pk).update(created_at=at)
            message.refresh_from_db()
        return message
