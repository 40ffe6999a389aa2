"""SSRF: with WEBHOOK_ALLOW_PRIVATE_URLS off (production), an endpoint must be https on
a public address. Private, loopback, link-local and reserved addresses are refused when
the endpoint is saved, whether written as an address or as a name resolving to one,
and again when a delivery resolves its host (DNS may have changed since)."""

from __future__ import annotations

import functools
import socket

import pytest
from django.core.exceptions import ValidationError

from clinic.api.models import WebhookDelivery, WebhookEndpoint
from clinic.api.webhooks import delivery
from clinic.api.webhooks.services import webhook_endpoint_create, webhook_endpoint_update
from tenancy.context import tenant_context
from tests.support.dns import resolving_to
from tests.support.sms import book_in
from tests.support.webhooks import Receiver

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"


@pytest.fixture
def production(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    settings.DEBUG = False


def create(org, url: str):
    with tenant_context(org=org):
        return webhook_endpoint_create(url=url)[0]


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost:8443/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.9/hook",
        "https://192.168.1.20/hook",
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://100.64.0.1/hook",  # carrier-grade NAT
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://224.0.0.1/hook",
    ],
)
def test_private_and_reserved_addresses_are_refused(production, org_a, url):
    with pytest.raises(ValidationError) as refused:
        create(org_a, url)
    assert "private, loopback or reserved" in refused.value.message_dict["url"][0]
    with tenant_context(org=org_a):
        assert not WebhookEndpoint.objects.exists()


def test_a_name_resolving_to_a_private_address_is_refused(production, org_a, monkeypatch):
    resolving_to(monkeypatch, PUBLIC, "10.0.0.7")  # one private answer is enough
    with pytest.raises(ValidationError, match="private"):
        create(org_a, "https://hooks.example.org/clinic")


def test_a_public_https_url_is_accepted(production, org_a, monkeypatch):
    resolving_to(monkeypatch, PUBLIC)
    assert create(org_a, "  https://hooks.example.org/clinic?source=clinic  ").url == (
        "https://hooks.example.org/clinic?source=clinic"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.org/clinic", "Use https://"),
        ("ftp://hooks.example.org/clinic", "Give an https:// URL."),
        ("https://user:secret@hooks.example.org/clinic", "Leave user names and passwords out"),
        ("https://hooks.example.org:99999/clinic", "port"),
        ("hooks.example.org/clinic", "Give an https:// URL."),
    ],
)
def test_other_unsafe_urls_are_refused(production, org_a, monkeypatch, url, message):
    resolving_to(monkeypatch, PUBLIC)
    with pytest.raises(ValidationError) as refused:
        create(org_a, url)
    assert message in refused.value.message_dict["url"][0]


def test_an_unknown_host_is_refused(production, org_a, monkeypatch):
    def unknown(*args, **kwargs):
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    with pytest.raises(ValidationError, match="could not be found"):
        create(org_a, "https://nowhere.example.org/")


def test_plain_http_is_allowed_in_debug_but_private_addresses_are_not(settings, org_a, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS, settings.DEBUG = False, True
    resolving_to(monkeypatch, PUBLIC)
    assert create(org_a, "http://hooks.example.org/clinic").url.startswith("http://")
    with pytest.raises(ValidationError):
        create(org_a, "http://127.0.0.1:8000/hook")


def test_changing_the_url_is_checked_too(production, org_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint = create(org_a, "https://10.0.0.1/hook")
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    with tenant_context(org=org_a), pytest.raises(ValidationError):
        webhook_endpoint_update(endpoint=endpoint, url="https://192.168.0.1/hook")


def test_a_delivery_refuses_a_host_that_now_resolves_to_a_private_address(people_a, settings, monkeypatch):
    """Saved while allowed (or while its DNS was public); at delivery time the address
    is checked again and nothing is sent."""
    with Receiver() as server:
        with tenant_context(org=people_a.org):
            webhook_endpoint_create(url=server.url)
            book_in(people_a, hours=30)
            pending = WebhookDelivery.objects.get()
        settings.WEBHOOK_ALLOW_PRIVATE_URLS, settings.DEBUG = False, True  # http, to test the address alone
        step = functools.partial(tenant_context, org=people_a.org.id)
        with pytest.raises(delivery.RetryLater):
            delivery.deliver(pending.pk, step)
        assert server.requests == []
    with tenant_context(org=people_a.org):
        pending.refresh_from_db()
    assert pending.last_error.startswith("Not sent: 127.0.0.1 is a private, loopback or reserved address")
    assert pending.status == "pending" and pending.response_status_code is None


def test_the_delivery_connects_to_the_address_it_checked(monkeypatch, settings):
    """No second resolution between the check and the connection (DNS rebinding)."""
    from clinic.api.webhooks import http

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    resolving_to(monkeypatch, PUBLIC)
    connected = []

    def fake_connection(address, timeout=None, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("refused")

    monkeypatch.setattr(socket, "create_connection", fake_connection)
    outcome = http.post("https://hooks.example.org/clinic", b"{}", {}, connect_timeout=1, timeout=1)
    assert connected == [(PUBLIC, 443)]
    assert outcome.status_code is None and "refused" in outcome.error
