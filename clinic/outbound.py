"""Calling URLs that clinics chose, from inside the platform's network (SSRF defence).

Integrators' event webhooks (clinic.api.webhooks) and busy-time calendars
(clinic.calendars.fetching) both make the worker call an address a clinic typed. This
is what they share:

- `resolve_public(host, port)`: resolve the name once, here, and refuse it if any of
  its addresses is not public (private, loopback, link-local such as the cloud metadata
  service at 169.254.169.254, shared, reserved, unspecified or multicast);
- `PinnedHTTPConnection`/`PinnedHTTPSConnection`: connect to the address that was
  checked, never to one resolved later (no DNS rebinding between the check and the
  connection), while the Host header and the TLS certificate check keep the URL's name."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable

DEFAULT_PORTS = {"http": 80, "https": 443}
CHUNK = 64 * 1024


class UnsafeTarget(Exception):
    """The URL, or the address its host resolves to, may not be called."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def resolve_public(host: str, port: int, *, also_allow: Callable[[str], bool] | None = None) -> list[str]:
    """Every address `host` resolves to, refusing the lot if any is not public (or
    allowed by `also_allow`, e.g. loopback for a local demo)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeTarget(f"The host {host} could not be found.") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise UnsafeTarget(f"The host {host} could not be found.")
    for address in addresses:
        if not (is_public(address) or (also_allow is not None and also_allow(address))):
            raise UnsafeTarget(f"{host} is a private, loopback or reserved address ({address}); use a public one.")
    return addresses


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to `address`; the Host header (and TLS name) stay the URL's host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class PinnedHTTPSConnection(PinnedHTTPConnection):
    default_port = 443

    def connect(self) -> None:
        super().connect()
        self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=self.host)


def connection_for(scheme: str, host: str, port: int, *, address: str, timeout: float) -> PinnedHTTPConnection:
    connection_class = PinnedHTTPSConnection if scheme == "https" else PinnedHTTPConnection
    return connection_class(host, port, address=address, timeout=timeout)


class BodyTooLarge(Exception):
    """An answer's body over the caller's limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit // 1024} KB")
        self.limit = limit


def read_body(response: http.client.HTTPResponse, sock, *, limit: int, deadline: float) -> bytes:
    """At most `limit` bytes of `response`'s body, all read by `deadline` (a
    time.monotonic() value): a chunk at a time, so a server trickling bytes is cut
    off. `sock` is the connection's socket, kept by the caller before the request
    (http.client drops connection.sock once the server says it will close).
    Raises BodyTooLarge, or TimeoutError."""
    length = response.getheader("Content-Length")
    if length and length.isdigit() and int(length) > limit:
        raise BodyTooLarge(limit)
    chunks, size = [], 0
    while True:
        sock.settimeout(remaining(deadline))
        # read1: at most one read from the socket, so the deadline is checked between them.
        chunk = response.read1(CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)


def remaining(deadline: float) -> float:
    """Seconds left until `deadline`; TimeoutError once it has passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left
