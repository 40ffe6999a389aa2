"""Calling URLs that clinics chose, from inside the platform's network (SSRF defence).

Integrators' event webhooks (clinic.api.webhooks) and busy-time calendars
(clinic.calendars.fetching) both make the worker call an address a clinic typed. This
is what they share:

- `resolve_public(host, port)`: resolve the name once, here, and refuse it if any of
  its addresses is not public (private, loopback, link-local such as the cloud metadata
  service at 169.254.169.254, shared, reserved, unspecified or multicast);
- `PinnedHTTPConnection`/`PinnedHTTPSConnection`: connect to the address that was
  checked, never to one resolved later (no DNS rebinding between the check and the
  connection), while the Host header and the TLS certificate check keep the URL's name;
- under a `Deadline` (clinic.core.outbound_deadline), the lookup, the connection and every
  read of the call end when the call's total time is up.
- `FetchLimits`: the size and time limits of a fetch (busy calendars, and the call
  recordings clinic.voice.download fetches from the provider).

An IPv6 address is judged by the IPv4 address it embeds, if any (NAT64, 6to4, Teredo,
IPv4-mapped and the like: clinic.core.ipv6_embedding), since that is where it leads."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as LookupTimeout
from dataclasses import dataclass

from django.conf import settings

from clinic.core import outbound_deadline
from clinic.core.ipv6_embedding import embedded_ipv4
from clinic.core.outbound_deadline import Deadline

__all__ = ["Deadline", "FetchLimits", "UnsafeTarget", "connection_for", "is_loopback", "is_public", "resolve_public"]

DEFAULT_PORTS = {"http": 80, "https": 443}
CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchLimits:
    """How much a fetch may read and for how long, and whether it may call this machine
    (tests and development only), from the settings PREFIX_MAX_BYTES,
    PREFIX_CONNECT_TIMEOUT_SECONDS, PREFIX_TIMEOUT_SECONDS (the total) and
    PREFIX_ALLOW_LOOPBACK: busy calendars (CALENDAR_FETCH) and call recordings
    (VOICE_RECORDING)."""

    max_bytes: int
    connect_timeout: float
    total_timeout: float
    allow_loopback: bool

    @classmethod
    def from_settings(cls, prefix: str) -> FetchLimits:
        total = float(getattr(settings, f"{prefix}_TIMEOUT_SECONDS"))
        return cls(
            max_bytes=getattr(settings, f"{prefix}_MAX_BYTES"),
            connect_timeout=min(float(getattr(settings, f"{prefix}_CONNECT_TIMEOUT_SECONDS")), total),
            total_timeout=total,
            allow_loopback=bool(getattr(settings, f"{prefix}_ALLOW_LOOPBACK")),
        )


class UnsafeTarget(Exception):
    """The URL, or the address its host resolves to, may not be called."""


def is_public(address: str) -> bool:
    """Whether `address` may be called: a global unicast address, and for an IPv6 one
    that embeds IPv4 addresses, every one of those (the IPv6 prefix itself, NAT64 or
    6to4, says nothing of where the packets end up)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = embedded_ipv4(ip)
        if embedded:
            return all(_is_public_ip(inner) for inner in embedded)
    return _is_public_ip(ip)


def _is_public_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


def is_loopback(address: str) -> bool:
    """This machine's own loopback: 127.0.0.0/8, ::1, or ::ffff:127.x.y.z, which the
    kernel delivers to 127.x.y.z. Not a NAT64 or 6to4 form of 127.0.0.1: those leave
    the machine for a translator, whose own loopback it would reach."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def resolve_public(host: str, port: int, *, also_allow: Callable[[str], bool] | None = None) -> list[str]:
    """Every address `host` resolves to, refusing the lot if any is not public (or
    allowed by `also_allow`, e.g. loopback for a local demo)."""
    try:
        infos = _lookup(host, port)
    except (OSError, UnicodeError):
        raise UnsafeTarget(f"The host {host} could not be found.") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise UnsafeTarget(f"The host {host} could not be found.")
    for address in addresses:
        if not (is_public(address) or (also_allow is not None and also_allow(address))):
            raise UnsafeTarget(f"{host} is a private, loopback or reserved address ({address}); use a public one.")
    return addresses


# Name lookups run here when a call has a deadline: getaddrinfo() cannot be
# interrupted, and a clinic's own name server could take its time answering. A lookup
# that outlives its call finishes in the background, within the resolver's own timeouts.
_lookups = ThreadPoolExecutor(max_workers=8, thread_name_prefix="outbound-lookup")


def _lookup(host: str, port: int) -> list:
    deadline = outbound_deadline.current()
    if deadline is None:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    future = _lookups.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        return future.result(timeout=deadline.remaining())
    except LookupTimeout:
        raise TimeoutError from None


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to `address`; the Host header (and TLS name) stay the URL's host.
    `timeout` is the connect timeout; under a Deadline, every later read may take
    what is left of the call, and the deadline's timer cuts the socket when it ends."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), outbound_deadline.capped(self.timeout))
        outbound_deadline.watch(self.sock)
        deadline = outbound_deadline.current()
        if deadline is not None:  # reads may take the rest of the call, not just the connect timeout
            self.sock.settimeout(deadline.remaining())


class PinnedHTTPSConnection(PinnedHTTPConnection):
    default_port = 443

    def connect(self) -> None:
        super().connect()
        # The handshake after the wrapped socket is watched: wrapping detaches the
        # plain socket, which the deadline could no longer cut.
        tls = ssl.create_default_context().wrap_socket(
            self.sock, server_hostname=self.host, do_handshake_on_connect=False
        )
        self.sock = tls
        outbound_deadline.watch(tls)
        tls.do_handshake()


def connection_for(scheme: str, host: str, port: int, *, address: str, timeout: float) -> PinnedHTTPConnection:
    """A connection to `address` whose connect may take `timeout` seconds (less if the
    call's Deadline has less left)."""
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
            guard = outbound_deadline.current()
            if guard is not None and guard.expired:
                raise TimeoutError  # not the end of the body: the deadline's timer cut the socket
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
