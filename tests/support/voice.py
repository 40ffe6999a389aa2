"""Shared set-up for the voice tests: signed calls to the voice webhooks as Twilio
posts them, and a fake of Twilio's recording API on 127.0.0.1 (tests/support/outbound_servers.py)."""

from __future__ import annotations

import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client

from clinic.voice.services import voice_settings_save
from tests.support.outbound_servers import _Server
from tests.support.sms import post_signed

BASE = "http://testserver"
CALL_URL = BASE + "/webhooks/voice/twilio/call/"
ACCOUNT_SID = "ACtest0000000000000000000000000000"
AUTH_TOKEN = "voice-test-token"  # noqa: S105 (a test's own)
SAMPLE_WAV = (Path(__file__).resolve().parents[2] / "clinic" / "voice" / "sample" / "voicemail.wav").read_bytes()


def callback_url(name: str, to: str) -> str:
    from urllib.parse import urlencode

    return f"{BASE}/webhooks/voice/twilio/{name}/?{urlencode({'to': to})}"


def enable_voice(number: str = "", **fields):
    values = {"voice_number": number, "open_days": [0, 1, 2, 3, 4, 5, 6]}
    return voice_settings_save(**{**values, **fields})


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def call(client: Client, *, to: str, from_: str, sid: str | None = None):
    params = {"CallSid": sid or new_sid("CA"), "From": from_, "To": to, "CallStatus": "ringing", "Direction": "inbound"}
    return post_signed(client, CALL_URL, params)


def recording(client: Client, *, to: str, call_sid: str, recording_sid: str, duration: str = "7", status="completed"):
    params = {
        "CallSid": call_sid,
        "RecordingSid": recording_sid,
        "RecordingStatus": status,
        "RecordingDuration": duration,
        "AccountSid": ACCOUNT_SID,
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}",
    }
    return post_signed(client, callback_url("recording", to), params)


def transcription(client: Client, *, to: str, call_sid: str, recording_sid: str, text: str, status="completed"):
    params = {
        "CallSid": call_sid,
        "RecordingSid": recording_sid,
        "TranscriptionSid": new_sid("TR"),
        "TranscriptionText": text,
        "TranscriptionStatus": status,
        "AccountSid": ACCOUNT_SID,
    }
    return post_signed(client, callback_url("transcription", to), params)


def voicemail_left(client: Client, *, to: str, from_: str, text: str | None = None) -> tuple[str, str]:
    """A whole call ending in a message, as Twilio reports it; (CallSid, RecordingSid)."""
    call_sid, recording_sid = new_sid("CA"), new_sid("RE")
    assert call(client, to=to, from_=from_, sid=call_sid).status_code == 200
    assert recording(client, to=to, call_sid=call_sid, recording_sid=recording_sid).status_code == 200
    if text is not None:
        assert (
            transcription(client, to=to, call_sid=call_sid, recording_sid=recording_sid, text=text).status_code == 200
        )
    return call_sid, recording_sid


@dataclass
class Answer:
    status: int = 200
    content_type: str = "audio/x-wav"
    body: bytes = SAMPLE_WAV
    # Seconds between chunks of the body (a slow provider).
    drip: float = 0.0


class FakeRecordings(_Server):
    """Twilio's recording API: GET <sid>.wav answers what `answers[sid]` says (else
    the sample WAV; a list: one answer per attempt), DELETE <sid>.json 204. Every
    request is kept in `requests`."""

    def __init__(self) -> None:
        self.answers: dict = {}
        self.requests: list = []
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        raw = b""
        while b"\r\n\r\n" not in raw:
            chunk = conn.recv(65536)
            if not chunk:
                return
            raw += chunk
        head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        method, path, _ = head[0].split(" ", 2)
        headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in head[1:] if ":" in line}
        self.requests.append((method, path, headers.get("authorization", "")))
        sid = path.rsplit("/", 1)[-1].split(".", 1)[0]
        if method == "DELETE":
            conn.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
            return
        answer = self.answers.get(sid, Answer())
        if isinstance(answer, list):  # one answer per attempt
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        head_bytes = (
            f"HTTP/1.1 {answer.status} X\r\nContent-Type: {answer.content_type}\r\n"
            f"Content-Length: {len(answer.body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        conn.sendall(head_bytes)
        if not answer.drip:
            conn.sendall(answer.body)
            return
        for start in range(0, len(answer.body), 512):
            if self.stopping.is_set():
                return
            conn.sendall(answer.body[start : start + 512])
            time.sleep(answer.drip)

    def deleted(self) -> list[str]:
        return [path for method, path, _ in self.requests if method == "DELETE"]

    def fetched(self) -> list[str]:
        return [path for method, path, _ in self.requests if method == "GET"]


@pytest.fixture
def voice_provider(settings, tmp_path):
    """The Twilio backend against FakeRecordings, audio stored in a temporary folder."""
    settings.VOICE_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.VOICE_RECORDING_ALLOW_LOOPBACK = True
    settings.VOICE_RECORDING_TIMEOUT_SECONDS = 5
    settings.STORAGES = {
        **settings.STORAGES,
        "voicemail": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    with FakeRecordings() as server:
        settings.VOICE_RECORDING_BASE_URL = server.url
        server.storage_dir = tmp_path
        yield server


def stored_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())
