"""The POST of one delivery, with the standard library's http.client: it follows no
redirects and reads no proxy settings, and here it connects to the address that
targets.address_for() checked (clinic.core.outbound; TLS still verifies the certificate
for the host name).

The whole call, from the name lookup to the answer's status line, has a total
deadline (WEBHOOK_TIMEOUT_SECONDS), and connecting its own shorter one
(WEBHOOK_CONNECT_TIMEOUT_SECONDS): an endpoint that accepts the connection and never
answers, or answers a byte at a time, holds a worker slot that long and no longer."""

from __future__ import annotations

import contextlib
import http.client
import ssl
from dataclasses import dataclass

from clinic.api.webhooks import targets
from clinic.core import outbound

USER_AGENT = "Clinic-Webhooks/1.0"
# Enough of an answer to read its status; the rest of the body is not kept.
MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Outcome:
    status_code: int | None  # None when no HTTP answer came (refused, timeout, TLS error)
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict[str, str], *, connect_timeout: float, timeout: float) -> Outcome:
    """POST `body` to `url`, all within `timeout` seconds; never raises for what the
    other side does."""
    with outbound.Deadline(timeout) as deadline:
        return _post(url, body, headers, connect_timeout=connect_timeout, deadline=deadline)


def _post(url: str, body: bytes, headers: dict[str, str], *, connect_timeout: float, deadline) -> Outcome:
    late = Outcome(None, f"No answer within {deadline.seconds:g} s.")
    try:
        parts = targets.parse(url)
        port = targets.port_of(parts)
        address = targets.address_for(parts.hostname, port)
    except targets.UnsafeTarget as exc:
        return Outcome(None, f"Not sent: {exc}")
    except TimeoutError:  # the name lookup
        return late
    connection = outbound.connection_for(parts.scheme, parts.hostname, port, address=address, timeout=connect_timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers={**headers, "User-Agent": USER_AGENT})
        response = connection.getresponse()
        status = response.status
        # The status is the answer; a body cut off by the deadline changes nothing.
        with contextlib.suppress(OSError, http.client.HTTPException):
            response.read(MAX_RESPONSE_BYTES)
    except TimeoutError:
        return late
    except ssl.SSLError as exc:
        return late if deadline.expired else Outcome(None, f"TLS error: {exc.reason or exc}"[:300])
    except (OSError, http.client.HTTPException) as exc:
        # The deadline's timer cut the socket: the read ends as a closed connection.
        return late if deadline.expired else Outcome(None, f"Connection failed: {exc or type(exc).__name__}"[:300])
    finally:
        connection.close()
    if 200 <= status < 300:
        return Outcome(status)
    if 300 <= status < 400:
        return Outcome(status, f"HTTP {status}: redirects are not followed; register the final URL.")
    return Outcome(status, f"HTTP {status}")
