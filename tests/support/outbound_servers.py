"""Misbehaving servers on 127.0.0.1 for the outbound deadline and fairness tests:
one accepts connections and never answers, one answers a whole, valid response a
byte at a time (each byte well within any per-read timeout)."""

from __future__ import annotations

import socket
import threading
import time


class _Server:
    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.lock = threading.Lock()
        self.open = 0
        self.most_open = 0
        self.accepted = 0
        self.stopping = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def __enter__(self):
        return self

    def __exit__(self, *_exc) -> None:
        self.stopping.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                self.open += 1
                self.most_open = max(self.most_open, self.open)
            threading.Thread(target=self._serve_and_count, args=(conn,), daemon=True).start()

    def _serve_and_count(self, conn: socket.socket) -> None:
        try:
            self.serve(conn)
        except OSError:
            pass  # the client gave up: what these servers are for
        finally:
            conn.close()
            with self.lock:
                self.open -= 1

    def serve(self, conn: socket.socket) -> None:
        raise NotImplementedError


class SilentServer(_Server):
    """Accepts, reads the request, never answers; holds the connection until the
    client closes it."""

    def serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.5)
        while not self.stopping.is_set():
            try:
                if not conn.recv(65536):
                    return  # the client closed the connection
            except TimeoutError:
                continue


class DripServer(_Server):
    """Answers `response` one byte every `interval` seconds."""

    def __init__(self, response: bytes, interval: float = 0.2) -> None:
        self.response = response
        self.interval = interval
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        conn.recv(65536)  # the request (small: it arrives at once)
        for byte in self.response:
            if self.stopping.is_set():
                return
            conn.sendall(bytes([byte]))
            time.sleep(self.interval)


def ok_response(body: bytes = b"") -> bytes:
    """A complete, valid 200: dripped over len(it) * interval seconds."""
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
