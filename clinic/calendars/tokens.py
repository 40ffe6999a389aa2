"""Feed link tokens (tenancy.tokens): 32 random bytes, URL-safe base64 (43 characters). A token names
no clinic, provider or person; only its sha256 is stored (CalendarFeed.token_hash),
so a leaked table holds no usable link. The token is shown once, when the feed is made."""

from __future__ import annotations

import uuid

from tenancy.lookups import organization_for

LOOKUP_FUNCTION = "calendars_clinic_for_feed"  # migration 0001


def organization_for_hash(token_hash: str) -> uuid.UUID | None:
    """The clinic of the unrevoked feed with this hash, else None: unknown and revoked
    links are indistinguishable."""
    return organization_for(LOOKUP_FUNCTION, token_hash)
