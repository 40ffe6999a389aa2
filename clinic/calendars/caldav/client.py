"""The HTTP side of CalDAV (RFC 4791): writing and deleting one event resource,
`<calendar URL>/<UID>.ics`, and reading the events of a time range (a calendar-query
REPORT, for busy times), with HTTP Basic authentication.

Writes are conditional, so the clinic never creates a second copy of an event nor
silently replaces one it has not seen: a new event is PUT with `If-None-Match: *`,
a known one with `If-Match: <its ETag>`. When the server answers 412 (the event was
changed in the calendar app, or an earlier write reached it but its answer was lost),
the current ETag is read and the write repeated once with it: the clinic's copy of an
appointment wins. Redirects are not followed and every request has a total deadline
(CALDAV_TIMEOUT_SECONDS; connecting: CALDAV_CONNECT_TIMEOUT_SECONDS).

The worker calls a URL a clinic typed, so it goes through clinic.core.outbound as busy
calendars and webhooks do: the host is resolved once and refused unless every address is
public (loopback only with CALENDAR_FETCH_ALLOW_LOOPBACK), and the connection goes to
the address that was checked. Such a URL marks the connection broken, with the reason.

Errors are our own sentences, from the status code alone: never the server's body, a
header or the password."""

from __future__ import annotations

import base64
import datetime as dt
import enum
import http.client
import ssl
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from clinic.core import outbound

USER_AGENT = "Clinic-CalDAV/1.0"
CONTENT_TYPE = "text/calendar; charset=utf-8"
REFUSED_CREDENTIALS = (
    "the calendar server refused the user name or password, or this account may not write to the calendar."
)
REFUSED_READING = "the calendar server refused the user name or password, or this account may not read the calendar."


class Kind(enum.Enum):
    DONE = "done"  # written, or deleted (or already gone)
    REFUSED = "refused"  # the connection itself is wrong: password, rights, URL
    REJECTED = "rejected"  # this one request was refused; retrying will not help
    FAILED = "failed"  # no answer, or a server error: worth retrying later


@dataclass(frozen=True)
class Answer:
    kind: Kind
    status: int | None = None
    etag: str = ""
    error: str = ""
    body: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class Account:
    username: str
    password: str

    def __repr__(self) -> str:  # never the password, not even in a traceback's locals
        return f"Account(username={self.username!r})"


def check_url(url: str) -> str:
    """The URL, stripped, if a calendar may have it; else ValidationError saying why."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("Give the calendar's https:// URL.", code="invalid_url")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("Leave the user name and password out of the URL.", code="invalid_url")
    if parts.scheme == "http" and not (settings.CALDAV_ALLOW_HTTP or settings.DEBUG):
        raise ValidationError("Use https://: the password and appointments must be encrypted.", code="insecure_url")
    if parts.query or parts.fragment:
        raise ValidationError("Give the calendar's URL without ? or #.", code="invalid_url")
    return url


def resource_url(calendar_url: str, uid: str) -> str:
    return calendar_url.rstrip("/") + "/" + quote(uid, safe="@") + ".ics"


def put_event(url: str, body: bytes, *, etag: str | None, exists: bool, account: Account) -> Answer:
    """Create (`exists` False) or replace the event at `url`."""
    if exists:
        headers = {"If-Match": etag} if etag else {}
    else:
        headers = {"If-None-Match": "*"}
    answer = _put(url, body, headers, account)
    if answer.status == 412:
        current = _send("GET", url, account)
        if current.status == 404:
            answer = _put(url, body, {"If-None-Match": "*"}, account)
        elif current.kind is Kind.DONE:
            answer = _put(url, body, {"If-Match": current.etag} if current.etag else {}, account)
        else:
            answer = current
    return answer


def delete_event(url: str, *, etag: str, account: Account) -> Answer:
    """Delete the event at `url`; one already gone counts as deleted."""
    answer = _send("DELETE", url, account, headers={"If-Match": etag} if etag else {})
    if answer.status == 412:  # changed in the calendar app since: the appointment is cancelled all the same
        answer = _send("DELETE", url, account)
    if answer.status in (404, 410):
        return Answer(Kind.DONE, answer.status)
    return answer


DAV, CALDAV = "DAV:", "urn:ietf:params:xml:ns:caldav"
QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-data/></D:prop>
  <C:filter>
    <C:comp-filter name="VCALENDAR">
      <C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/></C:comp-filter>
    </C:comp-filter>
  </C:filter>
</C:calendar-query>
"""


@dataclass(frozen=True)
class Events:
    """The calendar-data of each event resource found, or why there is none."""

    resources: list[bytes] = field(default_factory=list)
    error: str = ""


def query_events(url: str, *, starts: dt.datetime, ends: dt.datetime, account: Account) -> Events:
    """The event resources of the calendar at `url` overlapping starts..ends (RFC 4791
    §7.8: a calendar-query REPORT, the server expands nothing)."""
    stamp = "%Y%m%dT%H%M%SZ"
    body = QUERY.format(start=starts.astimezone(dt.UTC).strftime(stamp), end=ends.astimezone(dt.UTC).strftime(stamp))
    headers = {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}
    answer = _send(
        "REPORT", url, account, body=body.encode(), headers=headers, read_limit=settings.CALENDAR_FETCH_MAX_BYTES
    )
    if answer.kind is not Kind.DONE:
        return Events(error=answer.error or f"HTTP {answer.status}: the calendar server refused the query.")
    try:
        return Events(resources=calendar_data(answer.body))
    except ValueError as exc:
        return Events(error=str(exc))


def calendar_data(body: bytes) -> list[bytes]:
    """Each <C:calendar-data> of a 207 multistatus. A document type or entity is
    refused before parsing: a calendar server has no use for them (entity expansion)."""
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise ValueError("The calendar server's answer was not a CalDAV multistatus.")
    try:
        root = ET.fromstring(body)  # noqa: S314 (no DTD or entity can be in it: refused above)
    except ET.ParseError:
        raise ValueError("The calendar server's answer was not a CalDAV multistatus.") from None
    if root.tag != f"{{{DAV}}}multistatus":
        raise ValueError("The calendar server's answer was not a CalDAV multistatus.")
    found = root.iter(f"{{{CALDAV}}}calendar-data")
    return [data.text.encode("utf-8") for data in found if data.text and data.text.strip()]


def _put(url: str, body: bytes, headers: dict[str, str], account: Account) -> Answer:
    return _send("PUT", url, account, body=body, headers={**headers, "Content-Type": CONTENT_TYPE})


def _send(
    method: str, url: str, account: Account, *, body: bytes | None = None, headers=None, read_limit: int = 0
) -> Answer:
    """One request, within CALDAV_TIMEOUT_SECONDS in all (a total deadline: a server
    answering a byte at a time is cut off too); the answer's body is read (at most
    `read_limit` bytes) only if asked."""
    with outbound.Deadline(settings.CALDAV_TIMEOUT_SECONDS) as deadline:
        return _request(method, url, account, body=body, headers=headers, read_limit=read_limit, deadline=deadline)


def _request(method: str, url: str, account: Account, *, body, headers, read_limit: int, deadline) -> Answer:
    late = Answer(Kind.FAILED, error=f"The calendar server did not answer within {deadline.seconds} s.")
    parts = urlsplit(url)
    port = parts.port or outbound.DEFAULT_PORTS[parts.scheme]
    also = outbound.is_loopback if settings.CALENDAR_FETCH_ALLOW_LOOPBACK else None
    try:
        address = outbound.resolve_public(parts.hostname, port, also_allow=also)[0]
    except outbound.UnsafeTarget as exc:
        return Answer(Kind.REFUSED, error=str(exc))
    except TimeoutError:  # the name lookup
        return late
    basic = base64.b64encode(f"{account.username}:{account.password}".encode()).decode("ascii")
    headers = {**(headers or {}), "User-Agent": USER_AGENT, "Authorization": f"Basic {basic}"}
    connection = outbound.connection_for(
        parts.scheme, parts.hostname, port, address=address, timeout=settings.CALDAV_CONNECT_TIMEOUT_SECONDS
    )
    try:
        connection.connect()
        sock = connection.sock  # kept for reading the body (see outbound.read_body)
        connection.request(method, parts.path or "/", body=body, headers=headers)
        response = connection.getresponse()
        # Writes need only the status and ETag: their body is never read.
        status, etag = response.status, response.getheader("ETag", "")
        content = b""
        if read_limit and 200 <= status < 300:
            content = outbound.read_body(response, sock, limit=read_limit, deadline=deadline.at)
    except TimeoutError:
        return late
    except ssl.SSLError:
        if deadline.expired:
            return late
        return Answer(Kind.FAILED, error="The calendar server's TLS certificate was not accepted.")
    except (OSError, http.client.HTTPException):
        # The deadline's timer cut the socket: the read ends as a closed connection.
        return late if deadline.expired else Answer(Kind.FAILED, error="Could not connect to the calendar server.")
    except outbound.BodyTooLarge as exc:
        return Answer(Kind.FAILED, error=f"The calendar server's answer is larger than {exc.limit // 1024} KB.")
    finally:
        connection.close()
    answer = classify(method, status, etag)
    return Answer(answer.kind, answer.status, answer.etag, answer.error, body=content)


def classify(method: str, status: int, etag: str = "") -> Answer:
    if 200 <= status < 300:
        return Answer(Kind.DONE, status, etag=etag)
    if status in (401, 403):
        refused = REFUSED_READING if method == "REPORT" else REFUSED_CREDENTIALS
        return Answer(Kind.REFUSED, status, error=f"HTTP {status}: {refused}")
    if 300 <= status < 400:
        return Answer(
            Kind.REFUSED, status, error=f"HTTP {status}: the server redirects; enter the calendar's final URL."
        )
    if status in (404, 405, 409) and method in ("PUT", "REPORT"):
        return Answer(Kind.REFUSED, status, error=f"HTTP {status}: there is no calendar at this URL.")
    if status in (404, 412) and method == "GET":  # callers look at the status
        return Answer(Kind.REJECTED, status)
    if status in (408, 425, 429) or status >= 500:
        return Answer(Kind.FAILED, status, error=f"HTTP {status}: the calendar server failed; trying again later.")
    return Answer(Kind.REJECTED, status, error=f"HTTP {status}: the calendar server refused the event.")
