"""URLs of the staff's calls pages, included from clinic/urls.py under `calls/`.
Object ids are UUIDs looked up in the active clinic; the clinic is never in a URL."""

from __future__ import annotations

from django.urls import path

from clinic.voice.views import audio, inbox, settings_page

app_name = "calls"

urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("<uuid:pk>/handled/", inbox.mark_handled, name="mark_handled"),
    path("<uuid:pk>/audio/", audio.voicemail_audio, name="audio"),
    path("settings/", settings_page.voice_settings_page, name="settings"),
]

# The API's signed audio links (clinic.voice.links): no session, the clinic is in the signature.
link_urlpatterns = (
    [path("voicemail-audio/<str:token>", audio.voicemail_audio_link, name="link")],
    "voice_audio",
)
