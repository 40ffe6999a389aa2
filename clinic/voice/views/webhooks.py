"""Twilio's voice webhooks: the call, the front desk's dial result, the end of the
recording, the recording's status and its transcript.

Each is checked exactly as the SMS webhooks are (clinic.messaging.webhook_auth: the
signature over the public URL and the POST, 403 and nothing stored when it is missing
or wrong). The clinic comes from the number called, through one narrow lookup
(`voice_clinic_for_number`: the clinic's voice number, else its SMS number); the
callbacks that do not send `To` carry it in their signed URL (clinic.voice.twiml).
Everything after runs in that clinic's tenant context.

- A number no clinic uses: 404 with a plain-text reason, nothing stored.
- Fields no provider sends (a NUL character, an id longer than its column), or a
  callback without its ids: 400, nothing stored.
- Idempotent on CallSid and RecordingSid; the callbacks may come in any order (a
  transcript before its recording is kept, and the recording completes it; a
  recording of a call never announced makes the call's record: the message is not
  lost, its caller is unknown).
- The clinic's status (clinic.core.status, INBOUND_VOICE): an open clinic forwards
  during opening hours and takes messages; a suspended one takes messages (kept, not
  fetched until it is reactivated) and forwards nothing; a closed one hangs up and
  keeps nothing."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clinic.audit.trail import Actor, ActorInfo, acting_as
from clinic.core.status import Surface, Verdict, decide
from clinic.messaging.webhook_auth import is_signed_by_provider
from clinic.voice import services, twiml
from clinic.voice.models import Call, Voicemail
from tenancy.context import tenant_context
from tenancy.lookups import organization_for
from tenancy.models import Organization

logger = logging.getLogger(__name__)

WEBHOOK_ACTOR = ActorInfo(Actor.CALL_WEBHOOK, label="Call webhook")
FIELD_LIMITS = {
    "CallSid": Call._meta.get_field("call_sid").max_length,
    "RecordingSid": Voicemail._meta.get_field("recording_sid").max_length,
    "From": Call._meta.get_field("from_number").max_length,
    "To": Call._meta.get_field("to_number").max_length,
    "DialCallStatus": Call._meta.get_field("dial_status").max_length,
}
MAX_TRANSCRIPT = 10_000


def _plain(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain")


def _checked(request: HttpRequest, *required: str) -> tuple[HttpResponse | None, dict]:
    """(refusal, fields): the refusal when the request is not the provider's or is
    malformed; else the POST fields and the called number."""
    if not is_signed_by_provider(request):
        logger.warning("voice webhook %s refused: missing or wrong signature", request.path)
        return _plain("Invalid signature.", 403), {}
    fields = request.POST.dict()
    fields["To"] = fields.get("To") or request.GET.get("to", "")
    for name, value in fields.items():
        if "\x00" in value:
            return _bad(f"{name} contains a NUL character."), {}
    for name, limit in FIELD_LIMITS.items():
        if len(fields.get(name, "")) > limit:
            return _bad(f"{name} is longer than {limit} characters."), {}
    if len(fields.get("TranscriptionText", "")) > MAX_TRANSCRIPT:
        return _bad(f"TranscriptionText is longer than {MAX_TRANSCRIPT} characters."), {}
    for name in ("To", *required):
        if not fields.get(name):
            return _bad(f"{name} is missing."), {}
    return None, fields


def _bad(message: str) -> HttpResponse:
    logger.warning("voice webhook refused: %s", message)
    return _plain(message, 400)


def _clinic_for(number: str):
    """The one pre-tenant question: which clinic takes calls on this number."""
    return organization_for("voice_clinic_for_number", number)


def _unknown_number(number: str) -> HttpResponse:
    logger.info("voice webhook for %s: no clinic uses this number; nothing stored", number)
    return _plain("No clinic uses this number.", 404)


def _verdict(clinic, detail: str = "voicemail") -> Verdict:
    """`clinic`: an Organization, or its id. Detail "voicemail": taking a message (a
    suspended clinic may); "forward": ringing the front desk (only an open clinic)."""
    if not isinstance(clinic, Organization):
        clinic = Organization.objects.get(pk=clinic)
    return decide(clinic, Surface.INBOUND_VOICE, detail)


@csrf_exempt
@require_POST
def twilio_call(request: HttpRequest) -> HttpResponse:
    refused, fields = _checked(request, "CallSid")
    if refused:
        return refused
    to_number = fields["To"]
    org_id = _clinic_for(to_number)
    if org_id is None:
        return _unknown_number(to_number)
    with tenant_context(org=org_id), acting_as(WEBHOOK_ACTOR):
        clinic = Organization.objects.get(pk=org_id)
        if _verdict(clinic) is Verdict.CLOSED:
            logger.info("call %s to a closed clinic; hung up", fields["CallSid"])
            return twiml.hang_up()
        voice = services.voice_settings_get()
        forwarding = (
            bool(voice.forward_to)
            and _verdict(clinic, "forward") is Verdict.ALLOW
            and voice.is_open(timezone.localtime(timezone.now(), clinic.zone))
        )
        services.call_received(
            call_sid=fields["CallSid"], from_number=fields.get("From", ""), to_number=to_number, forwarded=forwarding
        )
        if forwarding:
            return twiml.forward(request, voice, to_number)
        return twiml.voicemail(request, voice, to_number)


@csrf_exempt
@require_POST
def twilio_dial(request: HttpRequest) -> HttpResponse:
    """The front desk's line is done: answered, then the call is over; else voicemail."""
    refused, fields = _checked(request, "CallSid")
    if refused:
        return refused
    to_number = fields["To"]
    org_id = _clinic_for(to_number)
    if org_id is None:
        return _unknown_number(to_number)
    status = fields.get("DialCallStatus", "")
    with tenant_context(org=org_id), acting_as(WEBHOOK_ACTOR):
        if _verdict(org_id) is Verdict.CLOSED:
            return twiml.hang_up()
        services.dial_finished(
            call_sid=fields["CallSid"], from_number=fields.get("From", ""), to_number=to_number, dial_status=status
        )
        if status == "completed":
            return twiml.hang_up()
        return twiml.voicemail(request, services.voice_settings_get(), to_number)


@csrf_exempt
@require_POST
def twilio_recorded(request: HttpRequest) -> HttpResponse:
    """The caller finished the message (Record's action): the call ends. The recording
    itself is reported by its status callback."""
    refused, _fields = _checked(request, "CallSid")
    return refused or twiml.hang_up()


@csrf_exempt
@require_POST
def twilio_recording(request: HttpRequest) -> HttpResponse:
    refused, fields = _checked(request, "CallSid", "RecordingSid")
    if refused:
        return refused
    to_number = fields["To"]
    org_id = _clinic_for(to_number)
    if org_id is None:
        return _unknown_number(to_number)
    status = fields.get("RecordingStatus", "completed")
    duration = fields.get("RecordingDuration", "")
    if duration and not duration.isdigit():
        return _bad("RecordingDuration is not a whole number of seconds.")
    with tenant_context(org=org_id), acting_as(WEBHOOK_ACTOR):
        if _verdict(org_id) is Verdict.CLOSED:
            logger.info("recording %s for a closed clinic; dropped", fields["RecordingSid"])
            return twiml.empty()
        if status != "completed":
            logger.info("recording %s reported %s; nothing to fetch", fields["RecordingSid"], status)
            return twiml.empty()
        services.recording_completed(
            call_sid=fields["CallSid"],
            recording_sid=fields["RecordingSid"],
            to_number=to_number,
            duration_seconds=int(duration) if duration else None,
        )
    return twiml.empty()


@csrf_exempt
@require_POST
def twilio_transcription(request: HttpRequest) -> HttpResponse:
    refused, fields = _checked(request, "CallSid", "RecordingSid")
    if refused:
        return refused
    to_number = fields["To"]
    org_id = _clinic_for(to_number)
    if org_id is None:
        return _unknown_number(to_number)
    with tenant_context(org=org_id), acting_as(WEBHOOK_ACTOR):
        if _verdict(org_id) is Verdict.CLOSED:
            return twiml.empty()
        services.transcription_received(
            call_sid=fields["CallSid"],
            recording_sid=fields["RecordingSid"],
            to_number=to_number,
            text=fields.get("TranscriptionText", ""),
            ok=fields.get("TranscriptionStatus", "completed") == "completed",
        )
    return twiml.empty()
