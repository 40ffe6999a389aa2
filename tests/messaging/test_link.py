"""The confirmation page a text links to: opaque signed token, no login, the
patient's first name, the clinic and the time; POST confirms or cancels once."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from clinic.appointments.models import Appointment, AppointmentStatusChange
from clinic.messaging import delivery, tokens
from clinic.messaging.models import ConfirmationRequest
from tenancy.context import tenant_context
from tests.support.sms import book_in, enable_sms, link_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(org_a, people_a, monkeypatch):
    """The link texted for a due request, and its appointment."""
    issued = []
    original = tokens.new_token

    def remember():
        token, digest = original()
        issued.append(token)
        return token, digest

    monkeypatch.setattr(tokens, "new_token", remember)
    with tenant_context(org=org_a):
        enable_sms("+12025550199")
        appointment = book_in(people_a, hours=5)
        request = ConfirmationRequest.objects.get(appointment=appointment, lead_minutes=120)
        message = delivery.queue_confirmation(request.id)
    assert link_url(issued[0]) in message.body
    return issued[0], appointment


def status_of(org, appointment) -> str:
    with tenant_context(org=org):
        return Appointment.objects.get(pk=appointment.pk).status


def test_the_token_names_no_clinic_and_no_appointment(link, org_a):
    token, appointment = link
    assert len(token) == tokens.TOKEN_LENGTH
    for identifier in (str(org_a.id), str(appointment.id), org_a.id.hex, appointment.id.hex):
        assert identifier not in token


def test_the_page_shows_first_name_clinic_and_time_only(client, link):
    token, appointment = link
    response = client.get(link_url(token))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Hi Jane" in page and "Clinic A" in page
    local = appointment.starts_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert local.strftime("%H:%M") in page
    # The form's CSRF token and the page's nonces are random: one may spell "Doe".
    shown = re.sub(r'(value|nonce)="[A-Za-z0-9+/=_-]{20,}"', "", page)
    for private in ("Doe", "Lovelace", "Check-up"):
        assert private not in shown
    assert response["Cache-Control"] == "no-store"


def test_confirm_confirms_once_and_the_link_is_then_used(client, link, org_a):
    token, appointment = link
    response = client.post(link_url(token), {"answer": "confirm"})
    assert response.status_code == 200 and "is confirmed" in response.content.decode()
    assert status_of(org_a, appointment) == "confirmed"
    with tenant_context(org=org_a):
        assert AppointmentStatusChange.objects.filter(appointment=appointment).last().via == "link"
    again = client.post(link_url(token), {"answer": "cancel"})
    assert again.status_code == 410 and "already been used" in again.content.decode()
    assert status_of(org_a, appointment) == "confirmed"


def test_cancel_cancels(client, link, org_a):
    token, appointment = link
    client.post(link_url(token), {"answer": "cancel"})
    assert status_of(org_a, appointment) == "cancelled"


def test_a_tampered_token_gets_the_friendly_page_and_changes_nothing(client, link, org_a):
    token, appointment = link
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, "x" * tokens.TOKEN_LENGTH, "short", token + "x"):
        response = client.post(link_url(bad), {"answer": "cancel"})
        assert response.status_code == 404
        assert "does not work" in response.content.decode()
    assert status_of(org_a, appointment) == "scheduled"


def test_an_expired_link_changes_nothing(client, link, org_a):
    token, appointment = link
    with tenant_context(org=org_a):
        ConfirmationRequest.objects.filter(appointment=appointment).update(
            expires_at=timezone.now() - dt.timedelta(minutes=1)
        )
    response = client.post(link_url(token), {"answer": "cancel"})
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert status_of(org_a, appointment) == "scheduled"


def test_a_link_for_a_moved_appointment_changes_nothing(client, link, org_a):
    from clinic.appointments.services import appointment_update

    token, appointment = link
    with tenant_context(org=org_a):
        appointment_update(
            appointment=appointment, changed_by=None, starts_at=appointment.starts_at + dt.timedelta(hours=1)
        )
    response = client.post(link_url(token), {"answer": "confirm"})
    assert response.status_code == 410
    assert status_of(org_a, appointment) == "scheduled"


def test_an_unknown_answer_is_a_clear_error(client, link, org_a):
    token, appointment = link
    response = client.post(link_url(token), {"answer": "maybe"})
    assert response.status_code == 400 and "Choose Confirm or Cancel" in response.content.decode()
    assert status_of(org_a, appointment) == "scheduled"


def test_the_post_needs_a_csrf_token(link, org_a):
    from django.test import Client

    token, appointment = link
    response = Client(enforce_csrf_checks=True).post(link_url(token), {"answer": "cancel"})
    assert response.status_code == 403
    assert status_of(org_a, appointment) == "scheduled"


def test_a_valid_token_of_another_clinic_is_not_found_for_its_staff(client, link, owner_b, org_b):
    from tests.support.people import login

    token, appointment = link
    login(client, owner_b, org_b)
    response = client.post(link_url(token), {"answer": "cancel"})
    assert response.status_code == 404
