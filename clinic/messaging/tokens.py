"""Confirmation-link tokens: opaque, signed, looked up by hash.

A token is 16 random bytes and an 8-byte HMAC of them under SECRET_KEY, both
base64url (33 characters). Nothing in it names a clinic or an appointment; a
tampered token fails the HMAC before the database is asked anything; the database
keeps only the sha256 of the random part, so a leaked table holds no usable link."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings

RANDOM_BYTES = 16
SIGNATURE_BYTES = 8
_RANDOM_CHARS = 22  # base64url of 16 bytes, unpadded
TOKEN_LENGTH = _RANDOM_CHARS + 11


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signature(random_part: str) -> str:
    key = hashlib.sha256(b"clinic.messaging.link:" + settings.SECRET_KEY.encode()).digest()
    return _b64(hmac.new(key, random_part.encode(), hashlib.sha256).digest()[:SIGNATURE_BYTES])


def token_hash(random_part: str) -> str:
    return hashlib.sha256(random_part.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """(token for the link, hash to store)."""
    random_part = _b64(secrets.token_bytes(RANDOM_BYTES))
    return random_part + _signature(random_part), token_hash(random_part)


def verified_hash(token: str) -> str | None:
    """The stored hash a well-formed, correctly signed token maps to, else None."""
    if not isinstance(token, str) or len(token) != TOKEN_LENGTH or not token.isascii():
        return None
    random_part, signature = token[:_RANDOM_CHARS], token[_RANDOM_CHARS:]
    if not hmac.compare_digest(signature, _signature(random_part)):
        return None
    return token_hash(random_part)
