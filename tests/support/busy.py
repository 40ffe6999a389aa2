"""Busy calendar tests' helpers: a small HTTP server on 127.0.0.1 serving ICS files
(and redirects, errors and oversize bodies) from a thread, and ICS text builders."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clinic.calendars.services import busy_calendar_add, busy_calendar_refresh
from tenancy.context import tenant_context


@dataclass
class Page:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    send_length: bool = True  # False: the body ends when the connection closes (HTTP/1.0)


class IcsServer:
    """`pages` maps a path (with its query) to what it answers; anything else is a 404."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.paths.append(self.path)
                page = server.pages.get(self.path, Page(status=404, body=b"not found"))
                self.send_response(page.status)
                for name, value in page.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/calendar")
                if page.send_length:
                    self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                self.wfile.write(page.body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def serve(self, path: str, body: bytes | str, **headers) -> str:
        self.pages[path] = Page(body=body.encode() if isinstance(body, str) else body, headers=headers)
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        self.pages[path] = Page(status=status, headers={"Location": location})
        return self.url(path)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ics_server():
    server = IcsServer()
    yield server
    server.close()


def stamp(value: dt.datetime | dt.date) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and value.utcoffset() == dt.timedelta(0):
            return value.strftime("%Y%m%dT%H%M%SZ")
        return value.strftime("%Y%m%dT%H%M%S")
    return value.strftime("%Y%m%d")


def vevent(uid: str, *lines: str) -> str:
    return "\r\n".join(["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z", *lines, "END:VEVENT"])


def calendar(*events: str) -> str:
    return (
        "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Busy//EN", *events, "END:VCALENDAR"]) + "\r\n"
    )


def timed(uid: str, starts: dt.datetime, ends: dt.datetime, *extra: str, zone: str = "Europe/Berlin") -> str:
    """An event at local times of `zone` (TZID; icalendar knows the zone by name)."""
    return vevent(uid, f"DTSTART;TZID={zone}:{stamp(starts)}", f"DTEND;TZID={zone}:{stamp(ends)}", *extra)


def add_and_refresh(org, provider, url: str, name: str = "Private"):
    with tenant_context(org=org):
        calendar_ = busy_calendar_add(provider=provider, name=name, url=url)
        return busy_calendar_refresh(busy_calendar=calendar_)
