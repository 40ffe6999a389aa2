"""Twilio's voice webhooks: the signature first (403, nothing stored), then the clinic
from the number called (404 for a number no clinic uses), the TwiML answer, and
idempotent, order-independent callbacks (CallSid, RecordingSid)."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from clinic.lifecycle.services import clinic_close, clinic_suspend
from clinic.voice.models import Call, Voicemail
from tenancy.context import tenant_context
from tests.support.people import make_user
from tests.support.sms import enable_sms, post_signed
from tests.support.voice import (
    CALL_URL,
    call,
    callback_url,
    enable_voice,
    new_sid,
    recording,
    transcription,
    voicemail_left,
)

pytestmark = pytest.mark.django_db
VOICE_A = "+12025550177"
CALLER = "+14155550123"


@pytest.fixture
def clinic_a(org_a, people_a):
    with tenant_context(org=org_a):
        enable_voice(VOICE_A, greeting="Clinic A is closed. Speak after the tone.", greeting_language="en-GB")
    return people_a


def counts(org) -> tuple[int, int]:
    with tenant_context(org=org):
        return Call.objects.count(), Voicemail.objects.count()


def test_a_call_without_a_signature_is_refused_and_nothing_is_stored(client, org_a, clinic_a):
    response = client.post(CALL_URL, {"CallSid": new_sid("CA"), "From": CALLER, "To": VOICE_A})
    assert response.status_code == 403
    assert counts(org_a) == (0, 0)


def test_a_wrong_signature_is_refused_on_every_callback(client, org_a, clinic_a):
    params = {"CallSid": new_sid("CA"), "RecordingSid": new_sid("RE"), "From": CALLER, "To": VOICE_A}
    for name in ("call", "dial", "recorded", "recording", "transcription"):
        url = callback_url(name, VOICE_A)
        response = client.post(url, params, HTTP_X_TWILIO_SIGNATURE="bm90IGEgc2lnbmF0dXJl")
        assert response.status_code == 403, name
    assert counts(org_a) == (0, 0)


def test_a_callback_signed_for_another_clinics_number_is_refused(client, org_a, clinic_a):
    """The called number is in the signed URL: changing it breaks the signature."""
    from clinic.messaging.webhook_auth import sign

    params = {"CallSid": new_sid("CA"), "RecordingSid": new_sid("RE"), "RecordingStatus": "completed"}
    signature = sign(callback_url("recording", "+12025550100"), params)
    response = client.post(callback_url("recording", VOICE_A), params, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 403
    assert counts(org_a) == (0, 0)


def test_a_number_no_clinic_uses_answers_404_and_stores_nothing(client, org_a, clinic_a, caplog):
    response = call(client, to="+12025550111", from_=CALLER)
    assert response.status_code == 404
    assert response.content == b"No clinic uses this number."
    assert counts(org_a) == (0, 0)
    assert "no clinic uses this number" in caplog.text


def test_the_greeting_in_the_clinics_language_then_a_transcribed_recording(client, org_a, clinic_a):
    response = call(client, to=VOICE_A, from_=CALLER)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    body = response.content.decode()
    assert '<Say language="en-GB">Clinic A is closed. Speak after the tone.</Say>' in body
    assert 'transcribe="true"' in body
    assert 'transcribeCallback="http://testserver/webhooks/voice/twilio/transcription/?to=%2B12025550177"' in body
    assert "recordingStatusCallback=" in body and 'maxLength="120"' in body
    assert "<Dial" not in body
    assert counts(org_a) == (1, 0)


def test_the_greeting_is_escaped(client, org_a, clinic_a):
    with tenant_context(org=org_a):
        enable_voice(VOICE_A, greeting="Press <1> & wait")
    body = call(client, to=VOICE_A, from_=CALLER).content.decode()
    assert "Press &lt;1&gt; &amp; wait" in body


def test_the_sms_number_takes_calls_when_there_is_no_voice_number(client, org_a, people_a):
    with tenant_context(org=org_a):
        enable_sms("+12025550166")
    response = call(client, to="+12025550166", from_=CALLER)
    assert response.status_code == 200
    assert "<Record" in response.content.decode()


def _at_local(org, hour: int):
    """Patch the clock to a Wednesday at `hour` in the clinic's zone."""
    local = dt.datetime(2030, 1, 9, hour, 0, tzinfo=org.zone)
    return mock.patch("clinic.voice.views.webhooks.timezone.now", return_value=local.astimezone(dt.UTC))


def test_during_opening_hours_the_front_desk_rings_first(client, org_a, clinic_a):
    with tenant_context(org=org_a):
        enable_voice(VOICE_A, forward_to="+12025550188", ring_seconds=15, open_days=[2])
    with _at_local(org_a, 10):
        body = call(client, to=VOICE_A, from_=CALLER).content.decode()
    assert '<Dial action="http://testserver/webhooks/voice/twilio/dial/?to=%2B12025550177" timeout="15">' in body
    assert "<Number>+12025550188</Number>" in body
    assert "<Record" not in body
    with _at_local(org_a, 20):
        body = call(client, to=VOICE_A, from_=CALLER).content.decode()
    assert "<Dial" not in body and "<Record" in body


def test_no_answer_at_the_front_desk_leads_to_voicemail_and_an_answer_ends_the_call(client, org_a, clinic_a):
    sid = new_sid("CA")
    params = {"CallSid": sid, "From": CALLER, "To": VOICE_A, "DialCallStatus": "no-answer"}
    body = post_signed(client, callback_url("dial", VOICE_A), params).content.decode()
    assert "<Say" in body and "<Record" in body
    params["DialCallStatus"] = "completed"
    body = post_signed(client, callback_url("dial", VOICE_A), params).content.decode()
    assert "<Hangup" in body and "<Record" not in body
    with tenant_context(org=org_a):
        assert Call.objects.get(call_sid=sid).dial_status == "completed"


def test_the_end_of_the_message_ends_the_call(client, org_a, clinic_a):
    response = post_signed(client, callback_url("recorded", VOICE_A), {"CallSid": new_sid("CA"), "To": VOICE_A})
    assert "<Hangup" in response.content.decode()


def test_each_call_and_recording_is_stored_once(client, org_a, clinic_a, on_commit):
    call_sid, recording_sid = new_sid("CA"), new_sid("RE")
    with mock.patch("clinic.voice.tasks.defer_on_commit") as defer:
        for _ in range(2):
            assert call(client, to=VOICE_A, from_=CALLER, sid=call_sid).status_code == 200
            assert recording(client, to=VOICE_A, call_sid=call_sid, recording_sid=recording_sid).status_code == 200
    assert counts(org_a) == (1, 1)
    assert defer.call_count == 1  # one fetch job
    with tenant_context(org=org_a):
        voicemail = Voicemail.objects.get()
        assert (voicemail.status, voicemail.duration_seconds, voicemail.call.from_number) == ("pending", 7, CALLER)


def test_a_transcript_before_its_recording_is_kept_and_attached(client, org_a, clinic_a):
    call_sid, recording_sid = new_sid("CA"), new_sid("RE")
    call(client, to=VOICE_A, from_=CALLER, sid=call_sid)
    response = transcription(client, to=VOICE_A, call_sid=call_sid, recording_sid=recording_sid, text="Call me back")
    assert response.status_code == 200
    with tenant_context(org=org_a):
        early = Voicemail.objects.get()
        assert (early.status, early.transcript) == ("awaiting", "Call me back")
        from clinic.voice.selectors import inbox_count

        assert inbox_count() == 0  # nothing to listen to yet
    recording(client, to=VOICE_A, call_sid=call_sid, recording_sid=recording_sid)
    with tenant_context(org=org_a):
        voicemail = Voicemail.objects.get()
        assert voicemail.pk == early.pk
        assert (voicemail.status, voicemail.transcript, voicemail.transcript_status) == (
            "pending",
            "Call me back",
            "completed",
        )


def test_a_recording_of_a_call_never_announced_makes_the_call_record(client, org_a, clinic_a):
    call_sid = new_sid("CA")
    response = recording(client, to=VOICE_A, call_sid=call_sid, recording_sid=new_sid("RE"))
    assert response.status_code == 200
    with tenant_context(org=org_a):
        voicemail = Voicemail.objects.select_related("call").get()
        assert (voicemail.call.call_sid, voicemail.call.from_number, voicemail.status) == (call_sid, "", "pending")


def test_a_failed_transcription_is_recorded_without_text(client, org_a, clinic_a):
    call_sid, recording_sid = voicemail_left(client, to=VOICE_A, from_=CALLER)
    transcription(client, to=VOICE_A, call_sid=call_sid, recording_sid=recording_sid, text="", status="failed")
    with tenant_context(org=org_a):
        assert Voicemail.objects.get().transcript_status == "failed"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"CallSid": "CA\x00x"}, b"CallSid contains a NUL character."),
        ({"CallSid": "CA" + "x" * 80}, b"CallSid is longer than 64 characters."),
        ({"CallSid": ""}, b"CallSid is missing."),
        ({"CallSid": "CAx", "RecordingDuration": "seven"}, b"RecordingDuration is not a whole number of seconds."),
    ],
)
def test_malformed_callbacks_answer_400_and_store_nothing(client, org_a, clinic_a, params, message):
    full = {"RecordingSid": new_sid("RE"), "RecordingStatus": "completed", **params}
    response = post_signed(client, callback_url("recording", VOICE_A), full)
    assert response.status_code == 400
    assert response.content == message
    assert counts(org_a) == (0, 0)


def test_a_recording_callback_without_its_recording_sid_is_400(client, org_a, clinic_a):
    response = post_signed(client, callback_url("recording", VOICE_A), {"CallSid": new_sid("CA")})
    assert (response.status_code, response.content) == (400, b"RecordingSid is missing.")


def test_only_post_is_accepted(client):
    assert client.get(CALL_URL).status_code == 405


@pytest.fixture
def operator(db):
    return make_user("platform_voice_boss", is_staff=True, is_superuser=True)


def test_a_suspended_clinic_takes_messages_but_forwards_nothing(client, org_a, clinic_a, operator):
    with tenant_context(org=org_a):
        enable_voice(VOICE_A, forward_to="+12025550188", open_days=[0, 1, 2, 3, 4, 5, 6])
    clinic_suspend(organization_id=org_a.id, changed_by=operator, reason="Invoice 42 unpaid")
    with _at_local(org_a, 10):
        body = call(client, to=VOICE_A, from_=CALLER).content.decode()
    assert "<Dial" not in body and "<Record" in body
    voicemail_left(client, to=VOICE_A, from_=CALLER, text="Hello")
    assert counts(org_a) == (2, 1)


def test_a_closed_clinic_hangs_up_and_keeps_nothing(client, org_a, clinic_a, operator):
    clinic_close(organization_id=org_a.id, changed_by=operator, reason="Practice retired")
    body = call(client, to=VOICE_A, from_=CALLER).content.decode()
    assert "<Hangup" in body and "<Record" not in body
    recording(client, to=VOICE_A, call_sid=new_sid("CA"), recording_sid=new_sid("RE"))
    assert counts(org_a) == (0, 0)


def test_a_voice_number_another_clinic_uses_is_refused(org_a, org_b):
    from django.core.exceptions import ValidationError

    with tenant_context(org=org_b):
        enable_sms("+12025550155")
    with tenant_context(org=org_a), pytest.raises(ValidationError) as refused:
        enable_voice("+12025550155")
    assert refused.value.message_dict == {"voice_number": ["Another clinic already uses this number."]}
