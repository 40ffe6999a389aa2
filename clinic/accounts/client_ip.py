"""The client's address, for counting sign-in failures and password reset requests.

Directly served, it is the connection's. Behind the TLS proxy (BEHIND_TLS_PROXY) the
connection is the proxy's, and the client is the address the proxy appended last to
X-Forwarded-For: anything before it came from the client and may be forged, so
trusting the first entry would let anyone pick a fresh address for every guess."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    if settings.CLIENT_IP_FROM_X_FORWARDED_FOR:
        appended = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if _is_address(appended):
            return appended
    return request.META.get("REMOTE_ADDR") or None


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
