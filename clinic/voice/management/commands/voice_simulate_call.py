"""Play a patient's call to the running app, as Twilio would, for demos and manual
tests: each webhook is signed exactly as Twilio signs it, and each next step follows
the TwiML the app answered (the front desk does not pick up; the caller leaves a
message; the recording and, with --transcript, its transcript are reported):

    manage.py voice_simulate_call --to +12025550142 --from +14155550123 --transcript "Please call me back"

With VOICE_BACKEND=console (the default) the worker then "fetches" the sample WAV the
repository ships (clinic/voice/sample/voicemail.wav), and the voicemail appears in /calls/."""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
from xml.etree import ElementTree

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from clinic.core.phones import normalize_phone
from clinic.messaging.webhook_auth import sign
from clinic.voice.backends import SAMPLE_WAV

ACCOUNT_SID = "AC" + "0" * 32


class Command(BaseCommand):
    help = "Send a call's signed voice webhooks to the running app, as the provider would."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--to", required=True, help="The clinic's number (E.164).")
        parser.add_argument("--from", required=True, dest="from_number", help="The caller's phone (E.164).")
        parser.add_argument("--transcript", default=None, help="The message's transcript (none if left out).")
        parser.add_argument(
            "--url",
            default=f"http://127.0.0.1:{os.environ.get('PORT') or 8000}",
            help="Base URL of the running app (default %(default)s, after PORT).",
        )

    def handle(self, *args, to: str, from_number: str, transcript: str | None, url: str, **options) -> None:
        try:
            to, from_number = normalize_phone(to), normalize_phone(from_number)
        except Exception as exc:  # a ValidationError with the reason
            raise CommandError(f"Not a phone number: {' '.join(getattr(exc, 'messages', [str(exc)]))}") from None
        call = {"CallSid": f"CA{uuid.uuid4().hex}", "AccountSid": ACCOUNT_SID, "From": from_number, "To": to}
        twiml = self._post(url.rstrip("/") + reverse("voice:twilio_call"), {**call, "CallStatus": "ringing"})
        dial = twiml.find("Dial")
        if dial is not None:
            self.stdout.write(f"The app rings the front desk ({dial.findtext('Number')}); nobody answers.")
            twiml = self._post(dial.get("action"), {**call, "DialCallStatus": "no-answer"})
        record = twiml.find("Record")
        if record is None:
            raise CommandError("The app did not offer to record a message (is the clinic closed?).")
        self.stdout.write(f"The caller hears: {twiml.findtext('Say')!r}, and leaves a message.")
        seconds = _duration(SAMPLE_WAV.read_bytes())
        recording = {**call, "RecordingSid": f"RE{uuid.uuid4().hex}", "RecordingStatus": "completed"}
        self._post(record.get("action"), {**call, "RecordingDuration": str(seconds)})
        self._post(record.get("recordingStatusCallback"), {**recording, "RecordingDuration": str(seconds)})
        if transcript is not None:
            transcription = {"TranscriptionSid": f"TR{uuid.uuid4().hex}", "TranscriptionStatus": "completed"}
            self._post(
                record.get("transcribeCallback"), {**recording, **transcription, "TranscriptionText": transcript}
            )
        self.stdout.write(
            f"Voicemail {recording['RecordingSid']} from {from_number} to {to} reported"
            f"{' with its transcript' if transcript is not None else ''}; the worker fetches it next."
        )

    def _post(self, endpoint: str | None, params: dict[str, str]) -> ElementTree.Element:
        if not endpoint:
            raise CommandError("The app's TwiML names no callback URL for the next step.")
        request = urllib.request.Request(  # noqa: S310 (an http(s) URL given by the operator, or the app's own)
            endpoint,
            data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": sign(endpoint, params)},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as exc:
            reason = exc.read().decode(errors="replace")[:200]
            raise CommandError(f"The app answered {exc.code} to {endpoint}: {reason}") from None
        except urllib.error.URLError as exc:
            raise CommandError(f"Cannot reach {endpoint}: {exc.reason}. Is `make run` running?") from None
        return ElementTree.fromstring(body)  # noqa: S314 (the app's own TwiML)


def _duration(wav: bytes) -> int:
    import io
    import wave

    with wave.open(io.BytesIO(wav)) as audio:
        return max(1, round(audio.getnframes() / audio.getframerate()))
