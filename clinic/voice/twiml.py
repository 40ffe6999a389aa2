"""The answers Twilio's voice webhooks get (TwiML), built with the SDK's VoiceResponse
(which escapes the clinic's greeting like any text).

The callbacks a call leads to carry the number that was called in their URL (`to`):
the recording and transcription callbacks do not send it themselves, and it is how
every callback finds its clinic. The URL is part of what Twilio signs, so a callback
cannot claim another clinic's number."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from twilio.twiml.voice_response import VoiceResponse

from clinic.voice.models import VoiceSettings


def callback_url(request: HttpRequest, name: str, to_number: str) -> str:
    path = reverse(f"voice:{name}") + "?" + urlencode({"to": to_number})
    if settings.SMS_WEBHOOK_BASE_URL:
        return settings.SMS_WEBHOOK_BASE_URL.rstrip("/") + path
    return request.build_absolute_uri(path)


def as_response(twiml: VoiceResponse) -> HttpResponse:
    return HttpResponse(str(twiml), content_type="text/xml")


def forward(request: HttpRequest, voice: VoiceSettings, to_number: str) -> HttpResponse:
    """Ring the front desk; on no answer, the dial action leads to voicemail."""
    twiml = VoiceResponse()
    dial = twiml.dial(timeout=voice.ring_seconds, action=callback_url(request, "twilio_dial", to_number))
    dial.number(voice.forward_to)
    return as_response(twiml)


def voicemail(request: HttpRequest, voice: VoiceSettings, to_number: str) -> HttpResponse:
    """The clinic's greeting, in its language, then a recording with its transcript."""
    twiml = VoiceResponse()
    twiml.say(voice.greeting, language=voice.greeting_language)
    twiml.record(
        max_length=voice.max_message_seconds,
        play_beep=True,
        transcribe=True,
        transcribe_callback=callback_url(request, "twilio_transcription", to_number),
        recording_status_callback=callback_url(request, "twilio_recording", to_number),
        recording_status_callback_event="completed",
        # Without an action Twilio would ask the call's URL again, and play the greeting again.
        action=callback_url(request, "twilio_recorded", to_number),
    )
    return as_response(twiml)


def hang_up() -> HttpResponse:
    twiml = VoiceResponse()
    twiml.hangup()
    return as_response(twiml)


def empty() -> HttpResponse:
    return as_response(VoiceResponse())
