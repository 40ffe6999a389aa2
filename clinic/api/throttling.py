"""Requests per API key (or per signed-in user) and time window: settings.API_THROTTLE_RATE,
e.g. "600/minute"; empty turns throttling off. Counted in Django's cache, so with
several app processes give them a shared cache (CACHE_URL)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from tenancy.drf import TenantPrincipal


class PerKeyRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str | None:
        # Read on every request (not once at import), so a changed setting applies.
        return settings.API_THROTTLE_RATE or None

    def get_cache_key(self, request, view) -> str | None:
        principal = request.auth
        if not isinstance(principal, TenantPrincipal):
            return None
        return f"throttle_{self.scope}_{principal.caller}"
