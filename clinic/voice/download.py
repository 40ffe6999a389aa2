"""Fetching a recording from the provider, within limits.

The URL is built here from the RecordingSid and VOICE_RECORDING_BASE_URL, never taken
from a callback, so the account's credentials go to the provider's API host alone.
The provider may redirect to where the media is kept: a redirect is followed at most
MAX_REDIRECTS times, each hop checked like the first (clinic.core.outbound: public
addresses only, pinned), and the credentials are sent to the API host only.

One Deadline (clinic.core.outbound_deadline) bounds the whole fetch however the other side
answers, and the body may not exceed VOICE_RECORDING_MAX_BYTES. What went wrong is
either `Rejected` (the answer will not change: too large, not audio, no such
recording), which fails the voicemail at once with the reason, or `Unavailable`
(worth another try: a time-out, a refused connection, a 5xx), which the job retries
with backoff."""

from __future__ import annotations

import base64
import http.client
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from clinic.core import outbound
from clinic.core.outbound import FetchLimits

MAX_REDIRECTS = 3
USER_AGENT = "Clinic-Voice/1.0"
# What the provider sends for a recording (Twilio: audio/x-wav or audio/mpeg).
AUDIO_TYPES = ("audio/",)


class Rejected(Exception):
    """The recording can never be fetched as it is; the message is fit to store and show."""


class Unavailable(Exception):
    """The provider could not be reached or answered badly this time; try again later."""


@dataclass(frozen=True)
class Recording:
    content: bytes
    content_type: str


def recording_url(recording_sid: str, *, media: bool = True) -> str:
    base = settings.VOICE_RECORDING_BASE_URL.rstrip("/")
    path = f"/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Recordings/{recording_sid}"
    return base + path + (".wav" if media else ".json")


def _authorization() -> str:
    pair = f"{settings.TWILIO_ACCOUNT_SID}:{settings.TWILIO_AUTH_TOKEN}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def fetch(recording_sid: str, *, limits: FetchLimits | None = None) -> Recording:
    limits = limits or FetchLimits.from_settings("VOICE_RECORDING")
    url = recording_url(recording_sid)
    api_host = urlsplit(url).netloc
    with outbound.Deadline(limits.total_timeout) as guard:
        for _hop in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            headers = {"User-Agent": USER_AGENT, "Accept": "audio/*"}
            if parts.netloc == api_host:
                headers["Authorization"] = _authorization()
            status, location, content_type, body = _request("GET", parts, headers, limits, guard)
            if status in (301, 302, 303, 307, 308):
                if not location:
                    raise Unavailable(f"{parts.hostname} answered a redirect without a Location.")
                url = urljoin(url, location)
                continue
            if status == 404:
                raise Rejected("The provider has no such recording (HTTP 404).")
            if status in (401, 403):
                raise Unavailable(f"The provider refused the account's credentials (HTTP {status}).")
            if status != 200:
                raise Unavailable(f"{parts.hostname} answered HTTP {status}.")
            if not content_type.lower().startswith(AUDIO_TYPES):
                raise Rejected(f"The provider sent {content_type or 'no content type'}, not audio.")
            if not body:
                raise Rejected("The provider sent an empty recording.")
            return Recording(body, content_type.split(";")[0].strip().lower())
    raise Unavailable(f"Too many redirects (more than {MAX_REDIRECTS}).")


def delete(recording_sid: str, *, limits: FetchLimits | None = None) -> None:
    """Delete the recording at the provider (after it is stored here). Unavailable if
    that failed; a recording already gone counts as deleted."""
    limits = limits or FetchLimits.from_settings("VOICE_RECORDING")
    parts = urlsplit(recording_url(recording_sid, media=False))
    headers = {"User-Agent": USER_AGENT, "Authorization": _authorization()}
    with outbound.Deadline(limits.total_timeout) as guard:
        status, _, _, _ = _request("DELETE", parts, headers, limits, guard)
    if status not in (200, 204, 404):
        raise Unavailable(f"{parts.hostname} answered HTTP {status} to the deletion.")


def _address(parts, limits: FetchLimits) -> tuple[int, str]:
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Rejected("The recording address is not an http(s) URL.")
    port = parts.port or outbound.DEFAULT_PORTS[parts.scheme]
    also = outbound.is_loopback if limits.allow_loopback else None
    try:
        return port, outbound.resolve_public(parts.hostname, port, also_allow=also)[0]
    except outbound.UnsafeTarget as exc:
        raise Rejected(str(exc)) from None
    except TimeoutError:
        raise Unavailable(f"{parts.hostname} did not answer within {limits.total_timeout:g} s.") from None


def _request(method: str, parts, headers: dict, limits: FetchLimits, guard) -> tuple[int, str, str, bytes]:
    deadline = guard.at
    port, address = _address(parts, limits)
    connection = outbound.connection_for(
        parts.scheme, parts.hostname, port, address=address, timeout=limits.connect_timeout
    )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.timeout = min(limits.connect_timeout, outbound.remaining(deadline))
        connection.connect()
        sock = connection.sock  # kept: http.client drops it once the server says it will close
        sock.settimeout(outbound.remaining(deadline))
        connection.request(method, target, headers=headers)
        response = connection.getresponse()
        content_type = response.getheader("Content-Type", "")
        if response.status != 200 or method != "GET":
            return response.status, response.getheader("Location", ""), content_type, b""
        if not content_type.lower().startswith(AUDIO_TYPES):
            return 200, "", content_type, b""  # not read: whatever it is, it is not kept
        try:
            body = outbound.read_body(response, sock, limit=limits.max_bytes, deadline=deadline)
        except outbound.BodyTooLarge:
            raise Rejected(f"The recording is larger than {limits.max_bytes // 1024} KB.") from None
        return 200, "", content_type, body
    except TimeoutError:
        raise Unavailable(f"{parts.hostname} did not answer within {limits.total_timeout:g} s.") from None
    except (OSError, http.client.HTTPException) as exc:
        if guard.expired:
            raise Unavailable(f"{parts.hostname} did not answer within {limits.total_timeout:g} s.") from None
        if isinstance(exc, ssl.SSLError):
            raise Unavailable(f"TLS error with {parts.hostname}: {exc.reason or type(exc).__name__}.") from None
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise Unavailable(f"Could not reach {parts.hostname}: {reason}.") from None
    finally:
        connection.close()
