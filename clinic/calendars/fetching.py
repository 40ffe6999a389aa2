"""GET a URL a clinic typed (a busy-time calendar), safely, from inside the platform's
network. Any fetcher of user-given URLs can use `fetch()`; busy calendars do.

- only http:// and https://, without a user name or password in the URL;
- the host is resolved here, and refused unless every address is public
  (clinic.core.outbound: no private, loopback, link-local/metadata, shared, reserved,
  unspecified or multicast address); loopback alone may be allowed for local demos and
  tests (`settings.CALENDAR_FETCH_ALLOW_LOOPBACK`);
- the connection goes to the address that was checked, never to one resolved again
  later (no DNS rebinding between check and connect);
- redirects are followed by hand, at most MAX_REDIRECTS, each hop checked like the first;
- the body may not exceed a size limit, and the whole fetch a time limit (connect, then
  a deadline for everything; a server trickling bytes is cut off).

Error messages name the host at most, never the path or query: a calendar's URL often
carries a secret token, and the messages are stored and shown on pages."""

from __future__ import annotations

import http.client
import ssl
from urllib.parse import SplitResult, urljoin, urlsplit

from clinic.core import outbound
from clinic.core.outbound import FetchLimits

MAX_REDIRECTS = 3
USER_AGENT = "Clinic-Calendar/1.0"


class FetchError(Exception):
    """The URL could not or may not be fetched; the message is fit to show and store."""


def check_url(url: str) -> SplitResult:
    """The URL's parts if its shape may be fetched (no DNS yet); else FetchError."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError:
        raise FetchError("This is not a valid web address.") from None
    if parts.scheme not in ("http", "https"):
        raise FetchError("Only http:// and https:// addresses can be fetched.")
    if not parts.hostname:
        raise FetchError("The address has no host name.")
    if parts.username is not None or parts.password is not None:
        raise FetchError("Addresses with a user name or password are not supported.")
    return parts


def fetch(url: str, *, limits: FetchLimits | None = None, accept: str = "text/calendar, */*;q=0.5") -> bytes:
    """The body of `url` after at most MAX_REDIRECTS redirects; FetchError otherwise."""
    limits = limits or FetchLimits.from_settings("CALENDAR_FETCH")
    # One deadline for every hop: its timer cuts a socket still open when time is up
    # (a server dripping its headers a byte at a time; clinic.core.outbound_deadline).
    with outbound.Deadline(limits.total_timeout) as guard:
        return _fetch(url, limits, guard, accept)


def _fetch(url: str, limits: FetchLimits, guard: outbound.Deadline, accept: str) -> bytes:
    for _hop in range(MAX_REDIRECTS + 1):
        parts = check_url(url)
        status, location, body = _get(parts, limits, guard, accept)
        if status in (301, 302, 303, 307, 308):
            if not location:
                raise FetchError(f"{parts.hostname} answered a redirect without a Location.")
            url = urljoin(url, location)
            continue
        if status != 200:
            raise FetchError(f"{parts.hostname} answered HTTP {status}.")
        return body
    raise FetchError(f"Too many redirects (more than {MAX_REDIRECTS}).")


def _address(parts: SplitResult, limits: FetchLimits) -> tuple[int, str]:
    port = parts.port or outbound.DEFAULT_PORTS[parts.scheme]
    also = outbound.is_loopback if limits.allow_loopback else None
    try:
        return port, outbound.resolve_public(parts.hostname, port, also_allow=also)[0]
    except outbound.UnsafeTarget as exc:
        raise FetchError(str(exc)) from None
    except TimeoutError:  # the name lookup
        raise FetchError(f"{parts.hostname} did not answer within {limits.total_timeout:g} s.") from None


def _get(parts: SplitResult, limits: FetchLimits, guard: outbound.Deadline, accept: str) -> tuple[int, str, bytes]:
    deadline = guard.at
    port, address = _address(parts, limits)
    connection = outbound.connection_for(
        parts.scheme, parts.hostname, port, address=address, timeout=limits.connect_timeout
    )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.timeout = min(limits.connect_timeout, outbound.remaining(deadline))
        connection.connect()
        # Kept: http.client drops connection.sock once the server says it will close.
        sock = connection.sock
        sock.settimeout(outbound.remaining(deadline))
        connection.request("GET", target, headers={"User-Agent": USER_AGENT, "Accept": accept})
        response = connection.getresponse()
        if 300 <= response.status < 400:
            return response.status, response.getheader("Location", ""), b""
        if response.status != 200:
            return response.status, "", b""
        return 200, "", _read_body(response, sock, limits, deadline)
    except TimeoutError:
        raise FetchError(f"{parts.hostname} did not answer within {limits.total_timeout:g} s.") from None
    except (OSError, http.client.HTTPException) as exc:
        if guard.expired:  # the deadline's timer cut the socket
            raise FetchError(f"{parts.hostname} did not answer within {limits.total_timeout:g} s.") from None
        if isinstance(exc, ssl.SSLError):
            raise FetchError(f"TLS error with {parts.hostname}: {exc.reason or type(exc).__name__}.") from None
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise FetchError(f"Could not fetch from {parts.hostname}: {reason}.") from None
    finally:
        connection.close()


def _read_body(response, sock, limits: FetchLimits, deadline: float) -> bytes:
    try:
        return outbound.read_body(response, sock, limit=limits.max_bytes, deadline=deadline)
    except outbound.BodyTooLarge:
        raise FetchError(f"The calendar is larger than {limits.max_bytes // 1024} KB.") from None
