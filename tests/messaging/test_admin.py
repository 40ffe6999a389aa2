"""The messaging admin: settings saved through the service (which re-plans the
requests), another clinic's sender number a field error, and the log and the
requests readable but never writable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clinic.messaging.models import ConfirmationRequest, SmsMessage, SmsSettings
from tenancy.context import tenant_context
from tests.support import factories


def url(model, suffix: str = "") -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{suffix}"


def settings_data(**overrides) -> dict:
    data = {
        "enabled": "on",
        "sender_number": "+1 202 555 0142",
        "clinic_phone": "",
        "lead_minutes": "120,2880",
        "send_from": "08:00",
        "send_until": "21:00",
        "template": "Hi {first_name}, confirm at {link}",
    }
    return {**data, **overrides}


def stored_settings(org) -> SmsSettings | None:
    with tenant_context(org=org):
        return SmsSettings.objects.first()


def test_adding_settings_goes_through_the_service_and_plans_requests(admin_client, org_a):
    with tenant_context(org=org_a):
        upcoming = factories.appointment(starts_at=timezone.now() + dt.timedelta(days=3))
    response = admin_client.post(url(SmsSettings, "add/"), {**settings_data(), "_continue": "1"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    stored = stored_settings(org_a)
    assert response["Location"] == url(SmsSettings, f"{stored.pk}/change/")  # the row the service saved
    assert (stored.sender_number, stored.lead_minutes) == ("+12025550142", [2880, 120])
    with tenant_context(org=org_a):
        planned = set(ConfirmationRequest.objects.filter(appointment=upcoming).values_list("lead_minutes", flat=True))
    assert planned == {2880, 120}  # the service re-planned the upcoming appointment
    assert admin_client.get(url(SmsSettings, "add/")).status_code == 403  # one per clinic


def test_turning_texts_off_in_the_admin_supersedes_pending_requests(admin_client, org_a):
    with tenant_context(org=org_a):
        stored = factories.sms_settings()
        pending = factories.confirmation_request()
    response = admin_client.post(url(SmsSettings, f"{stored.pk}/change/"), settings_data(enabled=""))
    assert response.status_code == 302, response.context["adminform"].form.errors
    with tenant_context(org=org_a):
        pending.refresh_from_db()
    assert (pending.status, pending.skip_reason) == ("superseded", "Texts were turned off.")


def test_another_clinics_sender_number_is_a_field_error_in_the_admin(admin_client, org_a, org_b):
    with tenant_context(org=org_b):
        factories.sms_settings(sender_number="+12025550142")
    response = admin_client.post(url(SmsSettings, "add/"), settings_data(sender_number="(202) 555-0142"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["sender_number"] == [
        "Another clinic already uses this sender number."
    ]
    assert stored_settings(org_a) is None


def test_the_admin_shows_the_models_own_errors(admin_client, org_a):
    response = admin_client.post(url(SmsSettings, "add/"), settings_data(template="Hi {doctor}"))
    assert "template" in response.context["adminform"].form.errors
    assert stored_settings(org_a) is None


@pytest.mark.parametrize("model", [SmsMessage, ConfirmationRequest], ids=["message", "request"])
def test_texts_and_requests_are_read_only(admin_client, org_a, model):
    with tenant_context(org=org_a):
        row = factories.sms_message() if model is SmsMessage else factories.confirmation_request()
    assert admin_client.get(url(model)).status_code == 200
    assert admin_client.get(url(model, f"{row.pk}/change/")).status_code == 200
    assert admin_client.get(url(model, "add/")).status_code == 403
    assert admin_client.post(url(model, f"{row.pk}/delete/"), {"post": "yes"}).status_code == 403
    assert admin_client.post(url(model, f"{row.pk}/change/"), {"status": "failed"}).status_code == 403
    with tenant_context(org=org_a):
        assert model.objects.filter(pk=row.pk, status=row.status).exists()


def test_a_requests_token_hash_is_not_shown(admin_client, org_a):
    with tenant_context(org=org_a):
        request = factories.confirmation_request(token_hash="f" * 64)
    body = admin_client.get(url(ConfirmationRequest, f"{request.pk}/change/")).content.decode()
    assert "f" * 64 not in body


def test_the_message_list_filters_by_status(admin_client, org_a):
    with tenant_context(org=org_a):
        factories.sms_message(status="failed", body="failed one")
        factories.sms_message(status="delivered", body="fine one")
    response = admin_client.get(url(SmsMessage), {"status__exact": "failed"})
    assert [m.body for m in response.context["cl"].result_list] == ["failed one"]
