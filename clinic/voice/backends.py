"""Where the recording job gets recordings from (settings.VOICE_BACKEND).

`twilio`: the provider's API with the account's credentials (clinic.voice.download).
`console`: no provider at all, for demos and `voice_simulate_call`: every recording is
the short WAV file the repository ships, and "deleting" it prints a line, as the SMS
console backend prints the texts it would send."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings

from clinic.voice import download
from clinic.voice.download import Recording

logger = logging.getLogger(__name__)

SAMPLE_WAV = Path(__file__).resolve().parent / "sample" / "voicemail.wav"


class ConsoleBackend:
    name = "console"

    def fetch(self, recording_sid: str) -> Recording:
        print(f"[VOICE console] fetched recording {recording_sid} (the sample WAV)", flush=True)
        return Recording(SAMPLE_WAV.read_bytes(), "audio/x-wav")

    def delete(self, recording_sid: str) -> None:
        print(f"[VOICE console] deleted recording {recording_sid} at the provider", flush=True)


class TwilioBackend:
    name = "twilio"

    def fetch(self, recording_sid: str) -> Recording:
        return download.fetch(recording_sid)

    def delete(self, recording_sid: str) -> None:
        download.delete(recording_sid)


def backend() -> ConsoleBackend | TwilioBackend:
    return TwilioBackend() if settings.VOICE_BACKEND == "twilio" else ConsoleBackend()
