"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

Each endpoint has a secret `whsec_` + base64 of 32 random bytes. A delivery carries

    webhook-id: evt_…                 the event's id, the same on every retry
    webhook-timestamp: 1767776400     Unix seconds when this attempt was signed
    webhook-signature: v1,<base64 of HMAC-SHA256(key, "{id}.{timestamp}.{body}")>

where the key is the secret's base64 part, decoded, and body the exact bytes sent.
While an endpoint's secret is being rotated the header carries one signature per
secret, space-separated (`v1,<new> v1,<old>`): a receiver accepts the delivery if any
of them matches a secret it holds (`verify`, the documented algorithm)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(*, secrets: Iterable[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one attempt, signed with each of `secrets` (the current first)."""
    signatures = " ".join(signature(secret, message_id, timestamp, body) for secret in secrets)
    if not signatures:
        raise ValueError("A delivery is signed with at least one secret.")
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
        "Content-Type": "application/json",
    }


def verify(secret: str, *, message_id: str, timestamp: str, signature_header: str, body: bytes) -> bool:
    """What a receiver does: True if any `v1,` signature in the header is the one
    `secret` makes (compared in constant time). Receivers also check the timestamp is
    recent; that is theirs to choose."""
    expected = signature(secret, message_id, int(timestamp), body)
    return any(hmac.compare_digest(expected, given) for given in signature_header.split(" ") if given)
