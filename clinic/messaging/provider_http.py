"""The SMS provider's HTTP client with a total deadline.

Twilio's client speaks `requests`, whose timeout bounds each socket read, not the
call: a provider answering slowly, a byte at a time, would hold the SMS worker's slot
far beyond SMS_PROVIDER_TIMEOUT_SECONDS, and with it every clinic's texts, and break
the promise that a text still `sending` after SMS_LOST_SEND_AFTER_SECONDS has no live
worker behind it. Here each call runs under a `Deadline` (clinic.core.outbound_deadline):
the sockets urllib3 opens or reuses for it are registered, and cut when the time is up;
connecting has its own shorter limit."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from clinic.core import outbound_deadline


class _Watched:
    """Registers the connection's socket with the call's deadline, new or reused."""

    sock = None

    def _new_conn(self):
        sock = super()._new_conn()
        outbound_deadline.watch(sock)
        return sock

    def connect(self) -> None:
        super().connect()
        outbound_deadline.watch(self.sock)  # after TLS: the wrapped socket

    def request(self, *args, **kwargs):
        if self.sock is not None:  # a kept-alive connection from an earlier call
            outbound_deadline.watch(self.sock)
        return super().request(*args, **kwargs)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _DeadlineAdapter(HTTPAdapter):
    def __init__(self, connect_timeout: float) -> None:
        self.connect_timeout = connect_timeout
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}

    def send(self, request, stream=False, timeout=None, **kwargs):
        deadline = outbound_deadline.current()
        if deadline is not None:  # (connect, each read): never past the deadline
            timeout = (min(self.connect_timeout, deadline.remaining()), deadline.remaining())
        return super().send(request, stream=stream, timeout=timeout, **kwargs)


class DeadlineHttpClient(TwilioHttpClient):
    """TwilioHttpClient whose every request ends within `timeout` seconds in all."""

    def __init__(self, *, connect_timeout: float, timeout: float) -> None:
        super().__init__(timeout=timeout)
        adapter = _DeadlineAdapter(connect_timeout)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def request(self, method: str, url: str, *args, **kwargs):
        total = kwargs.get("timeout") or self.timeout
        with outbound_deadline.Deadline(total) as deadline:
            try:
                return super().request(method, url, *args, **kwargs)
            except (requests.RequestException, OSError) as exc:
                if deadline.expired:  # the timer cut the socket: say so, not "connection reset"
                    raise requests.Timeout(f"No answer from the SMS provider within {total:g} s.") from exc
                raise
