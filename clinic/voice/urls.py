"""The voice app's URLs, included from clinic/urls.py: the provider's webhooks
(`urlpatterns`, at the root), the staff's calls pages (`page_patterns`, under `calls/`)
and the API's signed audio links (`link_patterns`, at the root). Object ids are UUIDs
looked up in the active clinic; the clinic is never in a URL."""

from __future__ import annotations

from django.urls import path

from clinic.voice.views import audio, inbox, settings_page, webhooks

app_name = "voice"

urlpatterns = [
    path("webhooks/voice/twilio/call/", webhooks.twilio_call, name="twilio_call"),
    path("webhooks/voice/twilio/dial/", webhooks.twilio_dial, name="twilio_dial"),
    path("webhooks/voice/twilio/recorded/", webhooks.twilio_recorded, name="twilio_recorded"),
    path("webhooks/voice/twilio/recording/", webhooks.twilio_recording, name="twilio_recording"),
    path("webhooks/voice/twilio/transcription/", webhooks.twilio_transcription, name="twilio_transcription"),
]

page_patterns = (
    [
        path("", inbox.inbox, name="inbox"),
        path("<uuid:pk>/handled/", inbox.mark_handled, name="mark_handled"),
        path("<uuid:pk>/audio/", audio.voicemail_audio, name="audio"),
        path("settings/", settings_page.voice_settings_page, name="settings"),
    ],
    "calls",
)

# The API's signed audio links (clinic.voice.links): no session, the clinic is in the signature.
link_patterns = (
    [path("voicemail-audio/<str:token>", audio.voicemail_audio_link, name="link")],
    "voice_audio",
)
