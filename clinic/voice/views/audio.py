"""Streaming a voicemail's audio: never a public URL.

Two ways in, one view body: a signed-in member of the clinic (`calls:audio`, the
inbox's player; the voicemail is looked up in the session's clinic, so another
clinic's id is a 404), and the API's short-lived signed link (`voice_audio:link`,
clinic.voice.links), whose clinic comes from the server's own signature. Either way
the answer is `Cache-Control: no-store`, and listening is audited like viewing a
patient."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from clinic.audit.trail import Actor, ActorInfo, acting_as
from clinic.core.status import Surface, allows
from clinic.voice import audio, links
from clinic.voice.models import Voicemail
from clinic.voice.services import voicemail_listened
from tenancy.context import tenant_context
from tenancy.decorators import org_required
from tenancy.models import Organization


def _stream(voicemail: Voicemail) -> HttpResponse:
    if voicemail.status != Voicemail.Status.STORED or not voicemail.audio_name:
        raise Http404("This voicemail has no audio.")
    try:
        handle = audio.storage().open(voicemail.audio_name, "rb")
    except FileNotFoundError:
        raise Http404("This voicemail has no audio.") from None
    voicemail_listened(voicemail)
    response = FileResponse(handle, content_type=voicemail.audio_content_type or "application/octet-stream")
    response["Cache-Control"] = "no-store, private"
    response["Content-Disposition"] = "inline"  # no file name: it would say nothing useful, or too much
    response["X-Content-Type-Options"] = "nosniff"
    return response


@org_required
@require_GET
def voicemail_audio(request: HttpRequest, pk) -> HttpResponse:
    return _stream(get_object_or_404(Voicemail.objects, pk=pk))


@require_GET
def voicemail_audio_link(request: HttpRequest, token: str) -> HttpResponse:
    found = links.read_link(token)
    if found is None:
        raise Http404("This link is not valid, or has expired.")
    org_id, voicemail_id, key_id = found
    actor = ActorInfo(Actor.API_KEY, api_key_id=key_id, label=f"API key {key_id}") if key_id else None
    with tenant_context(org=org_id):
        clinic = Organization.objects.filter(pk=org_id).first()
        if clinic is None or not allows(clinic, Surface.API):
            raise Http404("This link is not valid, or has expired.")
        voicemail = get_object_or_404(Voicemail.objects, pk=voicemail_id)
        if actor is None:
            return _stream(voicemail)
        with acting_as(actor):
            return _stream(voicemail)
