"""Checking that a webhook really comes from the SMS provider, before anything else.

Twilio signs each request: HMAC-SHA1 of the full URL it called plus the sorted POST
parameters, keyed with the account's auth token, in `X-Twilio-Signature`. The SDK's
RequestValidator checks it. Behind a proxy the URL Twilio called is not the one
Django sees, so SMS_WEBHOOK_BASE_URL names the public base."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator


def signing_token() -> str:
    """The auth token webhooks are signed with. With the console backend and no
    Twilio account, a key derived from SECRET_KEY: `sms_simulate_reply` signs with
    it exactly as Twilio would, so the same check runs in demos and tests."""
    if settings.TWILIO_AUTH_TOKEN:
        return settings.TWILIO_AUTH_TOKEN
    return hashlib.sha256(b"clinic.messaging.webhook:" + settings.SECRET_KEY.encode()).hexdigest()


def public_url(request: HttpRequest) -> str:
    if settings.SMS_WEBHOOK_BASE_URL:
        return settings.SMS_WEBHOOK_BASE_URL.rstrip("/") + request.get_full_path()
    return request.build_absolute_uri()


def is_signed_by_provider(request: HttpRequest) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    return RequestValidator(signing_token()).validate(public_url(request), request.POST.dict(), signature)


def sign(url: str, params: dict[str, str], token: str | None = None) -> str:
    return RequestValidator(token or signing_token()).compute_signature(url, params)
