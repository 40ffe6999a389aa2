"""Which URLs the worker may call. An endpoint URL is chosen by a clinic's staff or an
API key, and the worker calls it from inside the platform's network: without these
checks a clinic could make it probe internal services (SSRF). Unless
settings.WEBHOOK_ALLOW_PRIVATE_URLS is on (development, the demo, tests):

- only https (plain http also with DEBUG), no user name or password in the URL;
- the host must resolve, and only to public addresses: no private, loopback,
  link-local (cloud metadata), shared, reserved or multicast ones. A name that
  resolves to a private address is refused when the endpoint is saved, and again at
  each delivery (its DNS may have changed since): the worker connects to the address
  it checked, never to one resolved later (no DNS rebinding in between).

The address checks themselves are shared with other fetchers: clinic.core.outbound."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from clinic.core.outbound import DEFAULT_PORTS, UnsafeTarget, is_public, resolve_public

__all__ = ["UnsafeTarget", "address_for", "allows_private", "check_url", "is_public", "parse", "port_of", "resolve"]

SCHEMES = ("http", "https")


def check_url(url: str) -> str:
    """The URL, stripped, if an endpoint may have it; else ValidationError saying why."""
    url = url.strip()
    try:
        parts = parse(url)
        if not allows_private():
            resolve(parts.hostname, port_of(parts))
    except UnsafeTarget as exc:
        raise ValidationError(str(exc), code="unsafe_url") from None
    return url


def parse(url: str) -> SplitResult:
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise UnsafeTarget("Give an https:// URL.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("Leave user names and passwords out of the URL; check the signature instead.")
    try:
        port_of(parts)
    except ValueError:
        raise UnsafeTarget("The URL's port is not a number from 1 to 65535.") from None
    if parts.scheme == "http" and not (settings.DEBUG or allows_private()):
        raise UnsafeTarget("Use https://: events carry patients' appointments and must be encrypted.")
    return parts


def port_of(parts: SplitResult) -> int:
    return parts.port or DEFAULT_PORTS[parts.scheme]


def allows_private() -> bool:
    return bool(settings.WEBHOOK_ALLOW_PRIVATE_URLS)


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, refusing the lot if any is not public."""
    return resolve_public(host, port)


def address_for(host: str, port: int) -> str:
    """The address to connect to for a delivery: checked, unless private ones are allowed."""
    if allows_private():
        return host
    return resolve(host, port)[0]
