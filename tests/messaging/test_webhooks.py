"""The provider's webhooks: the signature first (403, nothing stored), then the
clinic from the signed `To` number, idempotent on the provider's message id."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from clinic.messaging.models import SmsMessage
from clinic.messaging.webhook_auth import signing_token
from tenancy.context import tenant_context
from tests.support.sms import INBOUND_URL, STATUS_URL, enable_sms, inbound_params, post_signed, reply

pytestmark = pytest.mark.django_db
SENDER_A = "+12025550199"


@pytest.fixture
def clinic_a(org_a, people_a):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
    return people_a


def stored_messages(org) -> int:
    with tenant_context(org=org):
        return SmsMessage.objects.count()


def test_a_missing_signature_is_refused_and_nothing_is_stored(client, org_a, clinic_a):
    params = inbound_params(to=SENDER_A, from_=clinic_a.jane.phone, body="C")
    response = client.post(INBOUND_URL, params)
    assert response.status_code == 403
    assert stored_messages(org_a) == 0


def test_a_wrong_signature_is_refused(client, org_a, clinic_a):
    params = inbound_params(to=SENDER_A, from_=clinic_a.jane.phone, body="C")
    response = client.post(INBOUND_URL, params, HTTP_X_TWILIO_SIGNATURE="bm90IGEgc2lnbmF0dXJl")
    assert response.status_code == 403
    assert stored_messages(org_a) == 0


def test_a_body_altered_after_signing_is_refused(client, org_a, clinic_a):
    from clinic.messaging.webhook_auth import sign

    params = inbound_params(to=SENDER_A, from_=clinic_a.jane.phone, body="C")
    signature = sign(INBOUND_URL, params)
    response = client.post(INBOUND_URL, {**params, "Body": "N"}, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 403
    assert stored_messages(org_a) == 0


def test_a_request_signed_by_the_twilio_library_is_accepted(client, org_a, clinic_a):
    params = inbound_params(to=SENDER_A, from_=clinic_a.jane.phone, body="hello")
    signature = RequestValidator(signing_token()).compute_signature(INBOUND_URL, params)
    response = client.post(INBOUND_URL, params, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert stored_messages(org_a) == 1


def test_the_public_base_url_is_what_gets_signed(client, settings, org_a, clinic_a):
    settings.SMS_WEBHOOK_BASE_URL = "https://clinic.example.org"
    params = inbound_params(to=SENDER_A, from_=clinic_a.jane.phone, body="hello")
    assert post_signed(client, INBOUND_URL, params).status_code == 403
    public = "https://clinic.example.org/webhooks/sms/twilio/inbound/"
    assert post_signed(client, INBOUND_URL.replace("http://testserver", ""), params).status_code == 403
    from clinic.messaging.webhook_auth import sign

    response = client.post(INBOUND_URL, params, HTTP_X_TWILIO_SIGNATURE=sign(public, params))
    assert response.status_code == 200


def test_a_number_no_clinic_owns_answers_200_and_stores_nothing(client, org_a, clinic_a, caplog):
    response = reply(client, to="+12025550111", from_=clinic_a.jane.phone, body="C")
    assert response.status_code == 200
    assert b"<Message>" not in response.content
    assert stored_messages(org_a) == 0
    assert "no clinic uses this number" in caplog.text


def test_the_same_webhook_twice_is_stored_once(client, org_a, clinic_a):
    params = inbound_params(to=SENDER_A, from_=clinic_a.jane.phone, body="what time is it?")
    assert post_signed(client, INBOUND_URL, params).status_code == 200
    assert post_signed(client, INBOUND_URL, params).status_code == 200
    assert stored_messages(org_a) == 1


def test_only_post_is_accepted(client):
    assert client.get(INBOUND_URL).status_code == 405


def _outbound(org, **fields) -> SmsMessage:
    from tests.support import factories

    with tenant_context(org=org):
        return factories.sms_message(**{"status": "sent", "provider_message_id": "SMabc", **fields})


def status_report(client, sid: str, status: str, *, from_: str = SENDER_A, error: str = ""):
    params = {"MessageSid": sid, "MessageStatus": status, "From": from_, "To": "+14155550100"}
    if error:
        params["ErrorCode"] = error
    return post_signed(client, STATUS_URL, params)


def test_status_reports_move_forward_and_never_back(client, org_a, clinic_a):
    message = _outbound(org_a, from_number=SENDER_A)
    assert status_report(client, "SMabc", "delivered").status_code == 200
    assert status_report(client, "SMabc", "sent").status_code == 200  # late, out of order
    with tenant_context(org=org_a):
        message.refresh_from_db()
        assert message.status == "delivered"


def test_a_failed_delivery_goes_to_the_inbox(client, org_a, clinic_a):
    message = _outbound(org_a, from_number=SENDER_A)
    status_report(client, "SMabc", "undelivered", error="30005")
    with tenant_context(org=org_a):
        message.refresh_from_db()
        assert (message.status, message.error_code, message.needs_attention) == ("undelivered", "30005", True)


def test_a_report_about_an_unknown_message_answers_200(client, org_a, clinic_a):
    assert status_report(client, "SMnobody", "delivered").status_code == 200


def test_a_status_report_must_be_signed(client, org_a, clinic_a):
    message = _outbound(org_a, from_number=SENDER_A)
    response = client.post(STATUS_URL, {"MessageSid": "SMabc", "MessageStatus": "failed", "From": SENDER_A})
    assert response.status_code == 403
    with tenant_context(org=org_a):
        message.refresh_from_db()
        assert message.status == "sent"


def test_a_report_signed_for_clinic_b_cannot_touch_clinic_a(client, org_a, org_b, clinic_a, people_b):
    message = _outbound(org_a, from_number=SENDER_A)
    with tenant_context(org=org_b):
        enable_sms("+12025550177")
    status_report(client, "SMabc", "failed", from_="+12025550177")
    with tenant_context(org=org_a):
        message.refresh_from_db()
        assert message.status == "sent"
