"""A total time limit on one outbound call, whatever the other side does.

A socket timeout bounds each read, not the call: a server that answers one byte every
few seconds keeps a request alive forever, and with it a worker slot. `Deadline` is a
context manager; every socket opened under it (clinic.core.outbound's connections, and the
SMS provider's HTTP client) is registered with `watch()`, and when the time is up a
timer thread shuts those sockets down, so whichever read is blocked returns at once
and the call fails. Callers also shrink each socket's own timeout to what is left
(`remaining()`), so the timer is the backstop, not the usual way out.

Shutting a socket down (not closing it) is safe from another thread: the file
descriptor stays valid for the thread that is reading it, which sees the end of the
stream or an error."""

from __future__ import annotations

import contextvars
import socket
import threading
import time

CLOCK_SLACK_SECONDS = 0.01

_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("outbound_deadline", default=None)


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self._timer_fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._token: contextvars.Token | None = None

    def __enter__(self) -> Deadline:
        self._token = _current.set(self)
        self._timer.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._timer.cancel()
        if self._token is not None:
            _current.reset(self._token)

    @property
    def expired(self) -> bool:
        # A read timeout capped to the time left can fire a moment before the timer does
        # (the poll rounds to milliseconds), and is the deadline all the same.
        return self._timer_fired or time.monotonic() >= self.at - CLOCK_SLACK_SECONDS

    def remaining(self) -> float:
        """Seconds left; TimeoutError once none are."""
        left = self.at - time.monotonic()
        if left <= 0 or self._timer_fired:
            raise TimeoutError
        return left

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if not self._timer_fired:
                self._sockets.append(sock)
                return
        _cut(sock)

    def _expire(self) -> None:
        with self._lock:
            self._timer_fired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _cut(sock)


def current() -> Deadline | None:
    return _current.get()


def watch(sock: socket.socket) -> None:
    """Register `sock` with the deadline of the call in progress, if there is one."""
    deadline = _current.get()
    if deadline is not None:
        deadline.watch(sock)


def capped(timeout: float) -> float:
    """`timeout`, or less if the call in progress has less time left."""
    deadline = _current.get()
    return timeout if deadline is None else min(timeout, deadline.remaining())


def _cut(sock: socket.socket) -> None:
    try:
        # socket.socket's own shutdown, also for an SSLSocket: only the descriptor.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed, or never connected
