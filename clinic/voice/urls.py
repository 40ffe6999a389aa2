"""The provider's voice webhooks, included from clinic/urls.py."""

from django.urls import path

from clinic.voice import webhooks

app_name = "voice"

urlpatterns = [
    path("webhooks/voice/twilio/call/", webhooks.twilio_call, name="twilio_call"),
    path("webhooks/voice/twilio/dial/", webhooks.twilio_dial, name="twilio_dial"),
    path("webhooks/voice/twilio/recorded/", webhooks.twilio_recorded, name="twilio_recorded"),
    path("webhooks/voice/twilio/recording/", webhooks.twilio_recording, name="twilio_recording"),
    path("webhooks/voice/twilio/transcription/", webhooks.twilio_transcription, name="twilio_transcription"),
]
