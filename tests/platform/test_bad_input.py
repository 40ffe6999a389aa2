"""Bad input gets a clear 4xx and stores nothing: oversized bodies (413), JSON nested
deeper than any request of ours, and signed SMS webhooks with fields no column can hold."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from clinic.messaging.models import SmsMessage
from tenancy.context import tenant_context
from tests.support.sms import INBOUND_URL, STATUS_URL, enable_sms, inbound_params, post_signed

SENDER = "+12025550199"


@pytest.fixture
def client():
    # A 500 must show as a response here, as the provider or integrator would see it.
    return Client(raise_request_exception=False)


@pytest.fixture
def texts_on(org_a):
    with tenant_context(org=org_a):
        enable_sms(SENDER)


def stored_messages(org) -> int:
    with tenant_context(org=org):
        return SmsMessage.objects.count()


def post_json(client, path: str, raw: str | bytes, key: str):
    return client.post(path, raw, content_type="application/json", headers={"Authorization": f"Bearer {key}"})


def test_an_oversized_api_body_answers_413_in_the_api_error_shape(client, key_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    raw = json.dumps({"first_name": "a" * 20_000, "last_name": "Doe", "date_of_birth": "1990-01-01"})
    response = post_json(client, "/api/v1/patients/", raw, key_a)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_an_oversized_webhook_body_answers_413_in_plain_text(client, settings, org_a, texts_on):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    params = inbound_params(to=SENDER, from_="+12025550103", body="C" * 20_000)
    response = post_signed(client, INBOUND_URL, params)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")
    assert stored_messages(org_a) == 0


@pytest.mark.parametrize("depth", [40, 900, 100_000])
def test_json_nested_too_deep_answers_400_not_500(client, key_a, depth):
    raw = '{"q": ' + "[" * depth + "]" * depth + "}"
    response = post_json(client, "/api/v1/patients/search/", raw, key_a)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_json_nested_as_deep_as_our_requests_still_parses(client, key_a):
    response = post_json(client, "/api/v1/patients/search/", json.dumps({"q": "doe"}), key_a)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "field, value",
    [("Body", "C\x00"), ("From", "+12025550103\x00"), ("To", SENDER + "\x00"), ("MessageSid", "SM1\x00")],
)
def test_a_signed_text_with_a_nul_character_answers_400_and_stores_nothing(client, org_a, texts_on, field, value):
    params = {**inbound_params(to=SENDER, from_="+12025550103", body="C"), field: value}
    response = post_signed(client, INBOUND_URL, params)
    assert response.status_code == 400
    assert stored_messages(org_a) == 0


@pytest.mark.parametrize("field, value", [("MessageSid", "SM" + "1" * 100), ("From", "+1" + "2" * 40)])
def test_a_signed_text_with_an_overlong_field_answers_400_and_stores_nothing(client, org_a, texts_on, field, value):
    params = {**inbound_params(to=SENDER, from_="+12025550103", body="C"), field: value}
    response = post_signed(client, INBOUND_URL, params)
    assert response.status_code == 400
    assert stored_messages(org_a) == 0


def test_a_signed_status_report_with_a_nul_character_answers_400(client, texts_on):
    params = {"MessageSid": "SM1\x00", "From": SENDER, "To": "+12025550103", "MessageStatus": "delivered"}
    assert post_signed(client, STATUS_URL, params).status_code == 400


def test_an_ordinary_text_is_still_received(client, org_a, texts_on):
    response = post_signed(client, INBOUND_URL, inbound_params(to=SENDER, from_="+12025550103", body="HELLO"))
    assert response.status_code == 200
    assert stored_messages(org_a) == 1
