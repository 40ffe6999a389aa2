"""Which URLs the worker may call. An endpoint URL is chosen by a clinic's staff or an
API key, and the worker calls it from inside the platform's network: without these
checks a clinic could make it probe internal services (SSRF). Unless
settings.WEBHOOK_ALLOW_PRIVATE_URLS is on (development, the demo, tests):

- only https (plain http also with DEBUG), no user name or password in the URL;
- the host must resolve, and only to public addresses: no private, loopback,
  link-local (cloud metadata), shared, reserved or multicast ones. A name that
  resolves to a private address is refused when the endpoint is saved, and again at
  each delivery (its DNS may have changed since): the worker connects to the address
  it checked, never to one resolved later (no DNS rebinding in between)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


class UnsafeTarget(Exception):
    """The URL, or the address its host resolves to, may not be called."""


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
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeTarget(f"The host {host} could not be found.") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise UnsafeTarget(f"The host {host} could not be found.")
    for address in addresses:
        if not is_public(address):
            raise UnsafeTarget(f"{host} is a private, loopback or reserved address ({address}); use a public one.")
    return addresses


def address_for(host: str, port: int) -> str:
    """The address to connect to for a delivery: checked, unless private ones are allowed."""
    if allows_private():
        return host
    return resolve(host, port)[0]


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
