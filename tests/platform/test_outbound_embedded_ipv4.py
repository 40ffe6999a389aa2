"""SSRF through IPv6 forms that carry an IPv4 address: NAT64, IPv4-mapped, -translated
and -compatible, 6to4 and Teredo lead to the IPv4 address inside them, so the one
address check (clinic.core.outbound) judges that address. Each case goes through event
webhooks (saving an endpoint, and a delivery) and busy-calendar fetching (the URL
itself, and a redirect to it)."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError

from clinic.api.webhooks import http as webhook_http
from clinic.api.webhooks import targets
from clinic.calendars import fetching
from clinic.core import outbound
from tests.support.dns import resolving_to

pytestmark = pytest.mark.django_db

# (address, the IPv4 address inside it): not public, so refused.
REFUSED = [
    ("64:ff9b::a9fe:a9fe", "169.254.169.254, NAT64"),
    ("64:ff9b::7f00:1", "127.0.0.1, NAT64"),
    ("64:ff9b:1:7f00:0:100::", "127.0.0.1, NAT64 local-use /48"),
    ("::ffff:0:7f00:1", "127.0.0.1, IPv4-translated"),
    ("::7f00:1", "127.0.0.1, IPv4-compatible"),
    ("::ffff:a9fe:a9fe", "169.254.169.254, IPv4-mapped"),
    ("2002:7f00:1::1", "127.0.0.1, 6to4"),
    ("2002:a9fe:a9fe::1", "169.254.169.254, 6to4"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1, Teredo client"),
    ("2001:0:4136:e378:8000:63bf:5601:5601", "169.254.169.254, Teredo client"),
    ("2001:0:a9fe:a9fe:8000:63bf:f7f7:f7f7", "169.254.169.254, Teredo server"),
]
# The same forms around a public IPv4 address (8.8.8.8; Teredo server 65.54.227.120).
ACCEPTED = [
    ("64:ff9b::808:808", "8.8.8.8, NAT64"),
    ("64:ff9b:1:808:8:800::", "8.8.8.8, NAT64 local-use /48"),
    ("::ffff:0:808:808", "8.8.8.8, IPv4-translated"),
    ("::808:808", "8.8.8.8, IPv4-compatible"),
    ("::ffff:808:808", "8.8.8.8, IPv4-mapped"),
    ("2002:808:808::1", "8.8.8.8, 6to4"),
    ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", "8.8.8.8, Teredo"),
    ("2606:4700:4700::1111", "plain public IPv6"),
]
CASES = [pytest.param(address, False, id=why) for address, why in REFUSED] + [
    pytest.param(address, True, id=why) for address, why in ACCEPTED
]


@pytest.fixture
def production(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    settings.CALENDAR_FETCH_ALLOW_LOOPBACK = False
    settings.DEBUG = False


@pytest.fixture
def connections(monkeypatch):
    """Every connection attempt is recorded and refused: nothing leaves the test."""
    attempts = []

    def refuse(address, *args, **kwargs):
        attempts.append(address[0])
        raise ConnectionRefusedError("refused in tests")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


@pytest.mark.parametrize(("address", "public"), CASES)
def test_the_embedded_ipv4_address_decides(address, public, production, connections, monkeypatch):
    resolving_to(monkeypatch, address)
    assert outbound.is_public(address) is public

    # Webhooks: saving an endpoint, then a delivery (which resolves again).
    if public:
        assert targets.check_url("https://hooks.example.org/in") == "https://hooks.example.org/in"
    else:
        with pytest.raises(ValidationError, match="private, loopback or reserved"):
            targets.check_url("https://hooks.example.org/in")
    outcome = webhook_http.post("https://hooks.example.org/in", b"{}", {}, connect_timeout=1, timeout=2)
    assert outcome.status_code is None
    assert ("Not sent" in outcome.error) is not public

    # Busy calendars: the same guard.
    if public:
        with pytest.raises(fetching.FetchError, match="Could not fetch"):
            fetching.fetch("https://calendar.example.org/cal.ics")
    else:
        with pytest.raises(fetching.FetchError, match="private, loopback or reserved"):
            fetching.fetch("https://calendar.example.org/cal.ics")
    assert connections == ([address, address] if public else [])


@pytest.mark.parametrize("address", [address for address, _ in REFUSED])
def test_a_busy_calendar_redirect_to_an_embedded_address_is_refused(address, settings, ics_server):
    settings.CALENDAR_FETCH_ALLOW_LOOPBACK = True  # the test server is on loopback; the target is not loopback
    url = ics_server.redirect("/moved.ics", f"http://[{address}]/latest/meta-data/")
    with pytest.raises(fetching.FetchError, match="private, loopback or reserved"):
        fetching.fetch(url)
