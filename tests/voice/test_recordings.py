"""The recording job as the worker runs it (the task called in this process), against
a fake of Twilio's recording API on 127.0.0.1, with the audio stored in a temporary
folder through Django's storage API."""

from __future__ import annotations

import base64

import pytest

from clinic.audit.models import AuditEvent
from clinic.voice import tasks
from clinic.voice.models import Voicemail
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.voice import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SAMPLE_WAV,
    Answer,
    enable_voice,
    stored_files,
    voicemail_left,
)

pytestmark = pytest.mark.django_db
VOICE_A, VOICE_B = "+12025550177", "+12025550178"
CALLER = "+14155550123"


@pytest.fixture
def clinics(org_a, org_b, people_a, people_b, voice_provider):
    with tenant_context(org=org_a):
        enable_voice(VOICE_A)
    with tenant_context(org=org_b):
        enable_voice(VOICE_B)
    return voice_provider


def run_job(org, recording_sid: str) -> str:
    with tenant_context(org=org):
        voicemail_id = str(Voicemail.objects.get(recording_sid=recording_sid).pk)
    return tasks.process_recording(organization_id=str(org.pk), voicemail_id=voicemail_id)


def voicemail_of(org, recording_sid: str) -> Voicemail:
    with tenant_context(org=org):
        return Voicemail.objects.select_related("call").get(recording_sid=recording_sid)


def test_the_audio_is_fetched_with_the_accounts_credentials_stored_and_deleted_at_the_provider(client, org_a, clinics):
    with tenant_context(org=org_a):
        jane = factories.patient(phone=CALLER)
    _, sid = voicemail_left(client, to=VOICE_A, from_=CALLER, text="Please call me back")
    assert run_job(org_a, sid) == "stored"
    voicemail = voicemail_of(org_a, sid)
    assert (voicemail.status, voicemail.patient_id, voicemail.audio_bytes) == ("stored", jane.pk, len(SAMPLE_WAV))
    assert voicemail.deleted_from_provider
    # The path names the clinic and a random key: no number, name or date.
    assert voicemail.audio_name == f"{org_a.pk}/{voicemail.audio_key}.wav"
    files = stored_files(clinics.storage_dir)
    assert [path.read_bytes() for path in files] == [SAMPLE_WAV]
    credentials = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert clinics.requests[0] == ("GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}.wav", credentials)
    assert clinics.deleted() == [f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}.json"]
    with tenant_context(org=org_a):
        event = AuditEvent.objects.get(action="voicemail_received")
        assert (event.patient_id, event.actor_type) == (jane.pk, "job")


def test_the_same_job_twice_stores_once(client, org_a, clinics):
    _, sid = voicemail_left(client, to=VOICE_A, from_=CALLER)
    assert run_job(org_a, sid) == "stored"
    assert run_job(org_a, sid) == "nothing to do"
    assert len(clinics.fetched()) == 1
    assert len(stored_files(clinics.storage_dir)) == 1


def test_a_file_left_by_a_lost_attempt_is_replaced_not_doubled(client, org_a, clinics):
    """A worker killed after writing the file but before its commit: the next attempt
    writes the same name again."""
    from clinic.voice import audio

    _, sid = voicemail_left(client, to=VOICE_A, from_=CALLER)
    voicemail = voicemail_of(org_a, sid)
    audio.store(audio.name_for(org_a.pk, voicemail.audio_key, "audio/x-wav"), b"half a download")
    assert run_job(org_a, sid) == "stored"
    assert [path.read_bytes() for path in stored_files(clinics.storage_dir)] == [SAMPLE_WAV]


def test_deleting_at_the_provider_can_be_turned_off(client, settings, org_a, clinics):
    settings.VOICE_DELETE_FROM_PROVIDER = False
    _, sid = voicemail_left(client, to=VOICE_A, from_=CALLER)
    run_job(org_a, sid)
    assert clinics.deleted() == []
    assert not voicemail_of(org_a, sid).deleted_from_provider


def test_a_number_several_patients_share_lists_them_all(client, org_a, clinics):
    with tenant_context(org=org_a):
        mum = factories.patient(first_name="Mum", phone=CALLER)
        kid = factories.patient(first_name="Kid", phone=CALLER)
    _, sid = voicemail_left(client, to=VOICE_A, from_=CALLER)
    run_job(org_a, sid)
    voicemail = voicemail_of(org_a, sid)
    assert voicemail.patient_id is None
    assert sorted(voicemail.candidate_patient_ids) == sorted([mum.pk, kid.pk])


def test_the_same_caller_at_two_clinics_is_each_clinics_own_patient(client, org_a, org_b, clinics):
    with tenant_context(org=org_a):
        jane_a = factories.patient(phone=CALLER)
    with tenant_context(org=org_b):
        jane_b = factories.patient(phone=CALLER)
    _, sid_a = voicemail_left(client, to=VOICE_A, from_=CALLER, text="For A")
    _, sid_b = voicemail_left(client, to=VOICE_B, from_=CALLER, text="For B")
    run_job(org_a, sid_a)
    run_job(org_b, sid_b)
    a, b = voicemail_of(org_a, sid_a), voicemail_of(org_b, sid_b)
    assert (a.patient_id, a.transcript) == (jane_a.pk, "For A")
    assert (b.patient_id, b.transcript) == (jane_b.pk, "For B")
    with tenant_context(org=org_a):
        assert list(Voicemail.objects.values_list("recording_sid", flat=True)) == [sid_a]
    assert a.audio_name.startswith(f"{org_a.pk}/") and b.audio_name.startswith(f"{org_b.pk}/")
    # A job deferred with the wrong clinic finds nothing (RLS), and stores nothing.
    assert tasks.process_recording(organization_id=str(org_b.pk), voicemail_id=str(a.pk)) == "nothing to do"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (Answer(body=b"x" * 4096), "The recording is larger than 2 KB."),
        (Answer(content_type="text/html", body=b"<html>login</html>"), "The provider sent text/html, not audio."),
        (Answer(status=404, content_type="application/json", body=b"{}"), "no such recording (HTTP 404)"),
    ],
    ids=["oversized", "not audio", "gone"],
)
def test_a_recording_that_will_never_do_fails_at_once_with_the_reason(client, settings, org_a, clinics, answer, reason):
    settings.VOICE_RECORDING_MAX_BYTES = 2048
    _, sid = voicemail_left(client, to=VOICE_A, from_=CALLER)
    clinics.answers[sid] = answer
    assert run_job(org_a, sid) == "failed"  # the job ends normally: the queue moves on
    voicemail = voicemail_of(org_a, sid)
    assert voicemail.status == "failed" and reason in voicemail.error
    assert stored_files(clinics.storage_dir) == []
    assert clinics.deleted() == []  # kept at the provider: someone may want it


def test_a_provider_error_is_retried_then_given_up_without_blocking(client, org_a, clinics):
    _, sid = voicemail_left(client, to=VOICE_A, from_=CALLER)
    clinics.answers[sid] = Answer(status=503, content_type="text/plain", body=b"busy")
    for _ in range(tasks.MAX_ATTEMPTS - 1):
        with pytest.raises(tasks.RetryLater):
            run_job(org_a, sid)
        assert voicemail_of(org_a, sid).status == "pending"
    assert run_job(org_a, sid) == "failed"
    voicemail = voicemail_of(org_a, sid)
    assert voicemail.attempts == tasks.MAX_ATTEMPTS
    assert voicemail.error == f"Gave up after {tasks.MAX_ATTEMPTS} attempts: 127.0.0.1 answered HTTP 503."


def test_a_provider_that_recovers_is_fetched_on_the_retry(client, org_a, clinics):
    _, sid = voicemail_left(client, to=VOICE_A, from_=CALLER)
    clinics.answers[sid] = [Answer(status=500, content_type="text/plain", body=b"oops"), Answer()]
    with pytest.raises(tasks.RetryLater):
        run_job(org_a, sid)
    assert run_job(org_a, sid) == "stored"


def test_a_provider_too_slow_is_cut_off_by_the_deadline(client, settings, org_a, clinics):
    settings.VOICE_RECORDING_TIMEOUT_SECONDS = 1
    _, sid = voicemail_left(client, to=VOICE_A, from_=CALLER)
    clinics.answers[sid] = Answer(drip=0.5)  # 24 KB in 512-byte chunks: 23 s
    with pytest.raises(tasks.RetryLater, match="did not answer within 1 s"):
        run_job(org_a, sid)


def test_the_recording_host_must_be_public_unless_loopback_is_allowed(client, settings, org_a, clinics):
    settings.VOICE_RECORDING_ALLOW_LOOPBACK = False
    _, sid = voicemail_left(client, to=VOICE_A, from_=CALLER)
    assert run_job(org_a, sid) == "failed"
    assert "loopback" in voicemail_of(org_a, sid).error
    assert clinics.requests == []


def test_the_console_backend_stores_the_sample(client, settings, org_a, clinics, capsys):
    settings.VOICE_BACKEND = "console"
    _, sid = voicemail_left(client, to=VOICE_A, from_=CALLER)
    assert run_job(org_a, sid) == "stored"
    assert [path.read_bytes() for path in stored_files(clinics.storage_dir)] == [SAMPLE_WAV]
    assert f"fetched recording {sid}" in capsys.readouterr().out


def test_integrators_hear_of_the_voicemail_and_its_transcript(client, org_a, clinics):
    from clinic.api.models import WebhookEvent

    with tenant_context(org=org_a):
        factories.webhook_endpoint(event_types=["voicemail.received", "voicemail.transcribed"])
    call_sid, sid = voicemail_left(client, to=VOICE_A, from_=CALLER)
    run_job(org_a, sid)
    from tests.support.voice import transcription

    transcription(client, to=VOICE_A, call_sid=call_sid, recording_sid=sid, text="Later transcript")
    with tenant_context(org=org_a):
        types = list(WebhookEvent.objects.order_by("created_at").values_list("type", flat=True))
        assert types == ["voicemail.received", "voicemail.transcribed"]
        assert "Later transcript" in WebhookEvent.objects.get(type="voicemail.transcribed").payload


def test_a_suspended_clinics_recording_waits_and_is_fetched_on_reactivation(client, org_a, clinics, on_commit):
    from clinic.lifecycle.services import clinic_reactivate, clinic_suspend
    from tests.support.people import make_user

    operator = make_user("voice_operator", is_staff=True, is_superuser=True)
    clinic_suspend(organization_id=org_a.id, changed_by=operator, reason="Invoice 42 unpaid")
    _, sid = voicemail_left(client, to=VOICE_A, from_=CALLER)
    assert run_job(org_a, sid) is None  # refused by the status rule: not run
    assert voicemail_of(org_a, sid).status == "pending"
    assert clinics.requests == []
    with on_commit(execute=False) as deferred:
        clinic_reactivate(organization_id=org_a.id, changed_by=operator, reason="Paid")
    assert deferred  # the fetch among what the reactivation defers
    assert run_job(org_a, sid) == "stored"
