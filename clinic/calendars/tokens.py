"""Feed link tokens: 32 random bytes, URL-safe base64 (43 characters). A token names
no clinic, provider or person; only its sha256 is stored (CalendarFeed.token_hash),
so a leaked table holds no usable link. The token is shown once, when the feed is made."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid

from tenancy.lookups import organization_for

TOKEN_BYTES = 32
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
LOOKUP_FUNCTION = "calendars_clinic_for_feed"  # migration 0001


def new_token() -> tuple[str, str]:
    """(token for the link, hash to store)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def token_hash_if_valid(token: str) -> str | None:
    """The hash to look up for a well-formed token; None for anything else, which then
    costs no database query."""
    if not isinstance(token, str) or not _TOKEN_PATTERN.fullmatch(token):
        return None
    return hash_token(token)


def organization_for_hash(token_hash: str) -> uuid.UUID | None:
    """The clinic of the unrevoked feed with this hash, else None: unknown and revoked
    links are indistinguishable."""
    return organization_for(LOOKUP_FUNCTION, token_hash)
