"""Name resolution faked for the SSRF tests: no DNS in tests."""

from __future__ import annotations

import ipaddress
import socket


def resolving_to(monkeypatch, *addresses: str) -> None:
    """Host names resolve to `addresses` (no DNS in tests); addresses stay themselves."""

    def fake_getaddrinfo(host, port, *args, **kwargs):
        try:
            ipaddress.ip_address(host)
            answers = [host]
        except ValueError:
            answers = addresses
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
