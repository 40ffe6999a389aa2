"""Fetches per feed link and time window: settings.CALENDAR_FEED_THROTTLE_RATE, e.g.
"60/hour", counted in Django's cache exactly as the API counts per key. The count is
kept under the token's hash, before the link is looked up: an unknown link is counted
like a real one, so the limit tells nobody which links exist, and the cache holds no
usable link."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class PerFeedRateThrottle(SimpleRateThrottle):
    scope = "calendar_feed"

    def __init__(self, token_hash: str) -> None:
        self.token_hash = token_hash
        super().__init__()

    def get_rate(self) -> str | None:
        return settings.CALENDAR_FEED_THROTTLE_RATE or None

    def get_cache_key(self, request, view) -> str | None:
        return f"throttle_{self.scope}_{self.token_hash}"


def retry_after_seconds(request, token_hash: str) -> int | None:
    """None while the link may be fetched (and the fetch counted), else how long to wait."""
    throttle = PerFeedRateThrottle(token_hash)
    if throttle.allow_request(request, None):
        return None
    return max(1, int(throttle.wait() or 1))
