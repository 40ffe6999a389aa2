"""The calls inbox, the audio streaming view, the voice settings page, the API, and
what happens to voicemails on retention, a patient's export and erasure, and a
clinic's purge."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.utils import timezone

from clinic.audit.models import AuditEvent
from clinic.voice import audio, links, services, tasks
from clinic.voice.models import Voicemail, VoiceSettings
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.api import ApiClient, make_key
from tests.support.people import login
from tests.support.voice import (
    SAMPLE_WAV,
    enable_voice,
    stored_files,
    voicemail_left,
)

pytestmark = pytest.mark.django_db
VOICE_A, VOICE_B = "+12025550177", "+12025550178"
CALLER = "+14155550123"


def _stored(client, org, number: str, text: str | None = "Please call me back") -> Voicemail:
    _, sid = voicemail_left(client, to=number, from_=CALLER, text=text)
    with tenant_context(org=org):
        voicemail = Voicemail.objects.get(recording_sid=sid)
    assert tasks.process_recording(organization_id=str(org.pk), voicemail_id=str(voicemail.pk)) == "stored"
    with tenant_context(org=org):
        return Voicemail.objects.select_related("call", "patient").get(pk=voicemail.pk)


@pytest.fixture
def setup(org_a, org_b, voice_provider):
    with tenant_context(org=org_a):
        enable_voice(VOICE_A)
        jane = factories.patient(first_name="Jane", last_name="Caller", phone=CALLER)
    with tenant_context(org=org_b):
        enable_voice(VOICE_B)
        factories.patient(first_name="Other", last_name="Caller", phone=CALLER)
    return jane


@pytest.fixture
def voicemail_a(setup, org_a):
    return _stored(Client(), org_a, VOICE_A)


# --- the inbox -------------------------------------------------------------------


def test_the_inbox_shows_caller_player_transcript_and_actions(client, staff_a, org_a, setup, voicemail_a):
    login(client, staff_a, org=org_a)
    response = client.get("/calls/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "From Jane Caller" in page
    assert f'<audio class="voicemail__player" controls preload="none" src="/calls/{voicemail_a.pk}/audio/">' in page
    assert "Please call me back" in page
    assert f'href="tel:{CALLER}"' in page
    assert f'href="/appointments/new/?patient={setup.pk}">Book for this patient' in page
    assert "7 s" in page
    # The navigation counts what waits.
    assert re.search(r'href="/calls/"[^>]*>Calls <span class="count-badge">1<', page)
    # No inline script (CSP): the page's scripts are files.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)


def test_marking_handled_takes_it_out_of_the_inbox_and_is_audited(client, staff_a, org_a, voicemail_a):
    login(client, staff_a, org=org_a)
    response = client.post(f"/calls/{voicemail_a.pk}/handled/")
    assert response.status_code == 302
    page = client.get("/calls/").content.decode()
    assert "Nothing waiting" in page
    with tenant_context(org=org_a):
        assert Voicemail.objects.get().handled_by_id == staff_a.pk
        assert AuditEvent.objects.filter(action="voicemail_handled", object_id=voicemail_a.pk).count() == 1


def test_an_unknown_caller_and_a_shared_number(client, staff_a, org_a, setup):
    with tenant_context(org=org_a):
        factories.patient(first_name="Jim", last_name="Caller", phone=CALLER)
    _stored(Client(), org_a, VOICE_A)
    login(client, staff_a, org=org_a)
    page = client.get("/calls/").content.decode()
    assert "One of:" in page and "Jane Caller" in page and "Jim Caller" in page
    assert "Book for this patient" not in page


# --- the audio -----------------------------------------------------------------------


def test_the_audio_streams_to_members_without_caching_and_is_audited(client, staff_a, org_a, setup, voicemail_a):
    login(client, staff_a, org=org_a)
    response = client.get(f"/calls/{voicemail_a.pk}/audio/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == SAMPLE_WAV
    assert response["Content-Type"] == "audio/x-wav"
    assert "no-store" in response["Cache-Control"].split(", ")
    with tenant_context(org=org_a):
        event = AuditEvent.objects.get(action="voicemail_played")
        assert (event.actor_user_id, event.patient_id) == (staff_a.pk, setup.pk)


def test_another_clinics_staff_get_404_for_the_audio(client, owner_b, org_b, voicemail_a):
    login(client, owner_b, org=org_b)
    assert client.get(f"/calls/{voicemail_a.pk}/audio/").status_code == 404
    assert client.post(f"/calls/{voicemail_a.pk}/handled/").status_code == 404


def test_no_audio_without_signing_in(client, voicemail_a):
    response = client.get(f"/calls/{voicemail_a.pk}/audio/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the settings page -------------------------------------------------------------------


def test_the_settings_page_saves_through_the_service(client, owner_a, org_a, setup):
    login(client, owner_a, org=org_a)
    assert client.get("/calls/settings/").status_code == 200
    form = {
        "voice_number": "+1 202 555 0190",
        "greeting": "Hello from Clinic A.",
        "greeting_language": "de-DE",
        "forward_to": "",
        "ring_seconds": "25",
        "open_days": ["0", "2"],
        "open_from": "09:00",
        "open_until": "17:00",
        "max_message_seconds": "90",
        "retention_days": "30",
    }
    assert client.post("/calls/settings/", form).status_code == 302
    with tenant_context(org=org_a):
        saved = VoiceSettings.objects.get()
        assert (saved.voice_number, saved.open_days, saved.retention_days) == ("+12025550190", [0, 2], 30)
    form["open_until"] = "08:00"
    refused = client.post("/calls/settings/", form)
    assert refused.status_code == 400
    assert "Closing time must be after opening time." in refused.content.decode()
    form.update(open_until="17:00", voice_number=VOICE_B)
    refused = client.post("/calls/settings/", form)
    assert "Another clinic already uses this number." in refused.content.decode()


def test_the_settings_page_is_for_managers(client, staff_a, org_a):
    login(client, staff_a, org=org_a)
    assert client.get("/calls/settings/").status_code == 404


# --- the API -----------------------------------------------------------------------


def test_the_api_lists_voicemails_with_a_signed_audio_link(org_a, org_b, setup, voicemail_a):
    api = ApiClient(make_key(org_a))
    listed = api.get("voicemails/").json()["results"]
    assert [item["id"] for item in listed] == [str(voicemail_a.pk)]
    item = api.get(f"voicemails/{voicemail_a.pk}/").json()
    assert (item["transcript"], item["patient"], item["from_number"]) == ("Please call me back", str(setup.pk), CALLER)
    assert item["audio_url"].startswith("http://testserver/voicemail-audio/")
    path = item["audio_url"].removeprefix("http://testserver")
    response = Client().get(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == SAMPLE_WAV
    assert "no-store" in response["Cache-Control"].split(", ")
    with tenant_context(org=org_a):
        assert AuditEvent.objects.get(action="voicemail_played").actor_type == "api_key"
    # Clinic B's key sees none of it.
    api_b = ApiClient(make_key(org_b))
    assert api_b.get("voicemails/").json()["results"] == []
    assert api_b.get(f"voicemails/{voicemail_a.pk}/").status_code == 404


def test_a_tampered_or_expired_audio_link_is_404(settings, voicemail_a):
    token = links.audio_link(voicemail_a).rsplit("/", 1)[-1]
    assert Client().get(f"/voicemail-audio/{token[:-2]}xx").status_code == 404
    forged = signing.dumps({"o": str(voicemail_a.organization_id), "v": str(voicemail_a.pk), "k": ""}, salt="other")
    assert Client().get(f"/voicemail-audio/{forged}").status_code == 404
    later = timezone.now() + dt.timedelta(seconds=settings.VOICE_AUDIO_LINK_SECONDS + 5)
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        assert Client().get(f"/voicemail-audio/{token}").status_code == 404


# --- retention, patient rights, purge --------------------------------------------


def test_retention_deletes_old_voicemails_with_their_audio(org_a, setup, voicemail_a, voice_provider):
    with tenant_context(org=org_a):
        enable_voice(VOICE_A, retention_days=30)
        Voicemail.objects.update(received_at=timezone.now() - dt.timedelta(days=31))
    with mock.patch("clinic.voice.tasks.defer_per_clinic", return_value=1) as fan_out:
        tasks.retention_tick(timestamp=0)
    assert fan_out.call_args.args[0] is tasks.prune_clinic
    # The one pre-tenant question the daily run asks: clinic ids, past their own period.
    with connection.cursor() as cursor:
        cursor.execute("SELECT voice_retention_due_clinics(%s, %s)", [timezone.now(), 90])
        assert [row[0] for row in cursor.fetchall()] == [org_a.pk]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda func, *a, **k: func())
        assert tasks.prune_clinic(organization_id=str(org_a.pk)) == 1
    with tenant_context(org=org_a):
        assert Voicemail.objects.count() == 0
    assert stored_files(voice_provider.storage_dir) == []


def test_the_patients_export_has_their_voicemails(org_a, setup, voicemail_a):
    from clinic.data_rights.services import patient_export

    with tenant_context(org=org_a):
        data = patient_export(patient=setup)
    assert [(v["id"], v["transcript"], v["from_number"]) for v in data["voicemails"]] == [
        (str(voicemail_a.pk), "Please call me back", CALLER)
    ]


def test_erasure_deletes_the_patients_voicemails_and_audio(org_a, setup, voicemail_a, voice_provider):
    from clinic.data_rights.services import patient_erase

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda func, *a, **k: func())
        with tenant_context(org=org_a):
            patient_erase(patient=setup)
    with tenant_context(org=org_a):
        assert Voicemail.objects.count() == 0
    assert stored_files(voice_provider.storage_dir) == []


def test_a_clinics_purge_deletes_its_audio_and_no_other(client, org_a, org_b, setup, voice_provider):
    _stored(client, org_a, VOICE_A)
    _stored(client, org_b, VOICE_B)
    assert audio.delete_clinic(org_a.pk) == 1
    assert [path.parent.name for path in stored_files(voice_provider.storage_dir)] == [str(org_b.pk)]


def test_a_recording_that_failed_is_in_the_inbox_with_why(client, staff_a, org_a, setup, voice_provider):
    from tests.support.voice import Answer

    _, sid = voicemail_left(client, to=VOICE_A, from_=CALLER)
    voice_provider.answers[sid] = Answer(content_type="text/html", body=b"<p>")
    with tenant_context(org=org_a):
        pk = Voicemail.objects.get().pk
    assert tasks.process_recording(organization_id=str(org_a.pk), voicemail_id=str(pk)) == "failed"
    login(client, staff_a, org=org_a)
    page = client.get("/calls/").content.decode()
    assert "The provider sent text/html, not audio." in page and "<audio" not in page
    assert client.get(f"/calls/{pk}/audio/").status_code == 404


def test_the_service_refuses_fields_it_does_not_know(org_a):
    with tenant_context(org=org_a), pytest.raises(TypeError):
        services.voice_settings_save(organization_id="x")


def test_the_demo_clinics_get_a_few_voicemails_once(org_a, people_a, voice_provider):
    from clinic.voice.demo import leave_demo_voicemails
    from tests.support.sms import enable_sms

    with tenant_context(org=org_a):
        enable_sms("+12025550199")
        assert leave_demo_voicemails("Clinic A") == 3
        assert leave_demo_voicemails("Clinic A") == 0  # enough waiting: the top-up adds none
        assert VoiceSettings.objects.get().greeting.startswith("You have reached Clinic A.")
        stored = Voicemail.objects.filter(status="stored").exclude(transcript="")
        assert stored.count() == 3 and stored.filter(patient__isnull=False).count() == 2
    assert len(stored_files(voice_provider.storage_dir)) == 3


def test_the_admin_saves_voice_settings_through_the_service(admin_client, org_a, org_b):
    from tests.support.sms import enable_sms

    with tenant_context(org=org_b):
        enable_sms("+12025550155")
    form = {
        "voice_number": "+12025550155",
        "greeting": "Hello from the admin.",
        "greeting_language": "en-US",
        "forward_to": "",
        "ring_seconds": "20",
        "open_days": ["0", "1"],
        "open_from": "08:00",
        "open_until": "18:00",
        "max_message_seconds": "120",
        "retention_days": "60",
    }
    refused = admin_client.post("/admin/voice/voicesettings/add/", form)
    assert refused.status_code == 200
    assert "Another clinic already uses this number." in refused.content.decode()
    form["voice_number"] = "202 555 0191"
    assert admin_client.post("/admin/voice/voicesettings/add/", form).status_code == 302
    with tenant_context(org=org_a):
        saved = VoiceSettings.objects.get()
        assert (saved.voice_number, saved.retention_days, saved.open_days) == ("+12025550191", 60, [0, 1])
        assert AuditEvent.objects.filter(action="update", object_type="voice.VoiceSettings").exists()
