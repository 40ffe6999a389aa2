"""Integrators' webhook events about voicemails (clinic.api.webhooks.events.emit):
`voicemail.received` once the audio is stored, `voicemail.transcribed` once its
transcript is there too (whichever came last). `data` is the voicemail as
GET /api/v1/voicemails/<id>/ renders it."""

from __future__ import annotations

from clinic.api.models import WebhookEndpoint
from clinic.voice.models import Voicemail


def voicemail_event(event_type: str, voicemail: Voicemail):
    from clinic.api.serializers.voice import VoicemailOut
    from clinic.api.webhooks.events import emit

    endpoints = list(
        WebhookEndpoint.objects.filter(active=True, event_types__contains=[event_type]).values_list("id", flat=True)
    )
    if not endpoints:
        return None
    return emit(event_type, lambda: dict(VoicemailOut(voicemail).data), endpoints)
