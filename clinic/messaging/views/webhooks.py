"""The SMS provider's webhooks. The signature is checked before anything else (403,
nothing stored); then the clinic comes from the signed `To` number through one
narrow lookup, and everything after runs in that clinic's tenant context.

The clinic's status is asked there (clinic.core.status, INBOUND_SMS, by what
the text means): a suspended clinic still takes a patient's STOP, START and HELP and
the provider's delivery reports; any other text is recorded for its inbox, and acts
on nothing (a YES confirms nothing). A closed clinic's texts and reports are
dropped. The provider gets the same empty answer either way.

A correctly signed webhook for a number no clinic owns, or a report about a
message nobody sent, answers 200 with an empty reply so the provider does not
retry, and leaves a log line. A signed webhook whose fields no provider sends (a NUL
character, which PostgreSQL cannot store in text; an id or number longer than its
column) answers 400 and stores nothing."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clinic.core.status import Surface, Verdict, decide
from clinic.messaging import inbound
from clinic.messaging.models import SmsMessage
from clinic.messaging.webhook_auth import is_signed_by_provider
from tenancy.context import tenant_context
from tenancy.lookups import organization_for
from tenancy.models import Organization

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


# The provider's fields that are stored in a column of limited length.
FIELD_COLUMNS = {
    "MessageSid": "provider_message_id",
    "From": "from_number",
    "To": "to_number",
    "ErrorCode": "error_code",
}


def _empty_reply() -> HttpResponse:
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


def _refused() -> HttpResponse:
    return HttpResponse("Invalid signature.", status=403, content_type="text/plain")


def _malformed(request: HttpRequest) -> HttpResponse | None:
    """400 if any field could not be stored as it is; None if all can."""
    for name, value in request.POST.items():
        if "\x00" in value:
            return _bad_request(f"{name} contains a NUL character.")
    for name, column in FIELD_COLUMNS.items():
        limit = SmsMessage._meta.get_field(column).max_length
        if len(request.POST.get(name, "")) > limit:
            return _bad_request(f"{name} is longer than {limit} characters.")
    return None


def _bad_request(message: str) -> HttpResponse:
    logger.warning("SMS webhook refused: %s", message)
    return HttpResponse(message, status=400, content_type="text/plain")


def _clinic_of(request: HttpRequest, number_field: str):
    return organization_for("messaging_clinic_for_sender", request.POST.get(number_field, ""))


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    if not is_signed_by_provider(request):
        logger.warning("SMS inbound webhook refused: missing or wrong signature")
        return _refused()
    if malformed := _malformed(request):
        return malformed
    sid, to_number = request.POST.get("MessageSid", ""), request.POST.get("To", "")
    org_id = _clinic_of(request, "To")
    if org_id is None or not sid:
        logger.info("SMS inbound %s to %s: no clinic uses this number; ignored", sid or "(no id)", to_number)
        return _empty_reply()
    body = request.POST.get("Body", "")
    with tenant_context(org=org_id):
        intent, _ = inbound.reading(request.POST.get("From", ""), body)
        verdict = decide(Organization.objects.get(pk=org_id), Surface.INBOUND_SMS, intent.value)
        if verdict is Verdict.CLOSED:
            logger.info("SMS inbound %s to a closed clinic; dropped", sid)
            return _empty_reply()
        inbound.receive_text(
            provider_message_id=sid,
            from_number=request.POST.get("From", ""),
            to_number=to_number,
            body=body,
            act=verdict is Verdict.ALLOW,
        )
    return _empty_reply()


def allowed_report(clinic: Organization, sid: str) -> bool:
    if decide(clinic, Surface.INBOUND_SMS, "delivery_report") is Verdict.ALLOW:
        return True
    logger.info("SMS status report %s for a %s clinic; dropped", sid, clinic.status)
    return False


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not is_signed_by_provider(request):
        logger.warning("SMS status webhook refused: missing or wrong signature")
        return _refused()
    if malformed := _malformed(request):
        return malformed
    sid = request.POST.get("MessageSid", "")
    # A status report is about a text the clinic sent: its `From` is the clinic's number.
    org_id = _clinic_of(request, "From")
    known = False
    if org_id is not None and sid:
        with tenant_context(org=org_id):
            clinic = Organization.objects.get(pk=org_id)
            if not allowed_report(clinic, sid):
                return _empty_reply()
            known = inbound.record_status(
                provider_message_id=sid,
                status=request.POST.get("MessageStatus", ""),
                error_code=request.POST.get("ErrorCode", ""),
            )
    if not known:
        logger.info("SMS status report for unknown message %s; ignored", sid or "(no id)")
    return _empty_reply()
