"""The recording queue with real workers (`manage.py procrastinate worker`) on a
database of their own, fetching from a fake of Twilio's recording API in this process
and storing into a temporary folder: each clinic's message stored once, under its own
clinic, matched to its own patient; a worker killed mid-download; a suspended clinic's
recording waiting for its reactivation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.support.voice import ACCOUNT_SID, AUTH_TOKEN, SAMPLE_WAV, Answer, FakeRecordings, stored_files
from tests.support.worker_harness import own_database, run_workers, shell, sql

pytestmark = pytest.mark.worker


@pytest.fixture
def provider():
    with FakeRecordings() as server:
        yield server


@pytest.fixture
def voice_db(provider, tmp_path):
    env = {
        "VOICE_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "VOICE_RECORDING_BASE_URL": provider.url,
        "VOICE_RECORDING_ALLOW_LOOPBACK": "true",
        "VOICE_RECORDING_TIMEOUT_SECONDS": "30",
        "VOICEMAIL_STORAGE_DIR": str(tmp_path),
    }
    with own_database("test_clinic_voice_worker", **env) as env:
        env["storage"] = str(tmp_path)
        yield env


def seed(env, **options) -> list[dict]:
    arguments = ", ".join(f"{key}={value!r}" for key, value in options.items())
    out = shell(env, f"from tests.support.voice_worker_seed import seed; seed({arguments})")
    return json.loads(out.strip().splitlines()[-1])


def voicemails(env) -> list[list[str]]:
    return sql(
        env,
        "SELECT o.slug, v.status, v.patient_id::text, v.transcript, v.attempts::text FROM voice_voicemail v "
        "JOIN tenancy_organization o ON o.id = v.organization_id ORDER BY o.slug",
    )


LOST_AN_HOUR_AGO = """
import datetime as dt
from django.db import connection
from django.utils import timezone
from clinic.voice.models import Voicemail
from tenancy.context import tenant_context
with tenant_context(org={org!r}):
    Voicemail.objects.filter(status="pending").update(attempt_started_at=timezone.now() - dt.timedelta(hours=1))
with connection.cursor() as cursor:
    cursor.execute("UPDATE procrastinate_jobs SET status = 'failed' WHERE status = 'doing'")
"""


def _worker_env(env) -> dict:
    return {key: value for key, value in env.items() if key != "storage"}


def test_each_clinics_message_is_stored_once_as_its_own(voice_db, provider):
    clinic_a, clinic_b = seed(voice_db)
    run_workers(_worker_env(voice_db))
    assert voicemails(voice_db) == [
        ["voice-a", "stored", clinic_a["patient"], "Message for voice-a", "1"],
        ["voice-b", "stored", clinic_b["patient"], "Message for voice-b", "1"],
    ]
    files = stored_files(Path(voice_db["storage"]))
    assert sorted(path.parent.name for path in files) == sorted([clinic_a["org"], clinic_b["org"]])
    assert all(path.read_bytes() == SAMPLE_WAV for path in files)
    assert len(provider.deleted()) == 2


def test_a_worker_killed_mid_download_fetches_again_and_stores_once(voice_db, provider):
    clinic_a, clinic_b = seed(voice_db)
    # Clinic A's recording trickles in (24 KB in 512-byte chunks, 0.4 s apart); B's is whole.
    provider.answers[clinic_a["sid"]] = [Answer(drip=0.4), Answer()]
    command = [sys.executable, "manage.py", "procrastinate", "worker", "-q", "voice", "-c", "2", "-p", "0.2"]
    worker = subprocess.Popen(  # noqa: S603
        command,
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings", **_worker_env(voice_db)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(clinic_a["sid"] in path for path in provider.fetched()):
            time.sleep(0.1)
        time.sleep(1)  # well into the download
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    rows = {row[0]: row for row in voicemails(voice_db)}
    assert rows["voice-a"][1:] == ["pending", "None", "Message for voice-a", "1"]  # killed before storing anything
    assert not any(path.parent.name == clinic_a["org"] for path in stored_files(Path(voice_db["storage"])))
    # Time passes beyond any fetch's deadline (the killed worker's job stays `doing`
    # in procrastinate's table, which the drained-queue check is told to ignore), and
    # the minute tick finds the lost fetch.
    shell(voice_db, LOST_AN_HOUR_AGO.format(org=clinic_a["org"]))
    shell(voice_db, "from clinic.voice.tasks import tick; tick.defer(timestamp=0)")
    run_workers(_worker_env(voice_db))
    rows = {row[0]: row for row in voicemails(voice_db)}
    assert rows["voice-a"][1:] == ["stored", clinic_a["patient"], "Message for voice-a", "2"]
    assert rows["voice-b"][1] == "stored"
    files = [path for path in stored_files(Path(voice_db["storage"])) if path.parent.name == clinic_a["org"]]
    assert [path.read_bytes() for path in files] == [SAMPLE_WAV]  # one file, whole
    assert sum(clinic_a["sid"] in path for path in provider.fetched()) == 2


def test_a_suspended_clinics_recording_waits_for_its_reactivation(voice_db, provider):
    clinic_a, clinic_b = seed(voice_db, suspend="voice-a")
    run_workers(_worker_env(voice_db))
    rows = {row[0]: row for row in voicemails(voice_db)}
    assert (rows["voice-a"][1], rows["voice-b"][1]) == ("pending", "stored")
    assert not any(clinic_a["sid"] in path for path in provider.fetched())
    shell(voice_db, f"from tests.support.voice_worker_seed import reactivate; reactivate({clinic_a['org']!r})")
    run_workers(_worker_env(voice_db))
    rows = {row[0]: row for row in voicemails(voice_db)}
    assert rows["voice-a"][1:3] == ["stored", clinic_a["patient"]]
