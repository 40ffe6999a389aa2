"""The API's short-lived signed links to a voicemail's audio.

A link names the clinic and the voicemail, signed with SECRET_KEY (django.core.signing,
its own salt) and valid for VOICE_AUDIO_LINK_SECONDS: whoever the API gave it to may
fetch that one file for that long, from the same streaming view the staff use. The
clinic in a link comes from the server that signed it, never from the caller."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "clinic.voice.audio-link"


def audio_link(voicemail, key_id=None, request=None) -> str:
    """The link, naming the API key that asked for it (`key_id`), if any, for the audit
    trail; on the host the API was asked on (`request`), else on SMS_LINK_BASE_URL (an
    event, written by no request)."""
    data = {"o": str(voicemail.organization_id), "v": str(voicemail.pk), "k": str(key_id) if key_id else ""}
    path = reverse("voice_audio:link", args=[signing.dumps(data, salt=SALT)])
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SMS_LINK_BASE_URL.rstrip("/") + path


def read_link(token: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID | None] | None:
    """(clinic id, voicemail id, API key id or None) of a valid, unexpired link; None otherwise."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.VOICE_AUDIO_LINK_SECONDS)
        return uuid.UUID(data["o"]), uuid.UUID(data["v"]), uuid.UUID(data["k"]) if data.get("k") else None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
