"""Settings → Webhooks and the admin: owners and admins add endpoints (the secret shown
once), read each one's deliveries newest first, change, turn off and on, test and
delete them; staff get 404 and no link; another clinic's endpoints are 404s."""

from __future__ import annotations

import re

import pytest

from clinic.api.models import WebhookDelivery, WebhookEndpoint
from clinic.api.webhooks.services import webhook_endpoint_create
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.people import login

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{44}")
ALL_EVENTS = ["appointment.created", "appointment.updated", "appointment.confirmed", "appointment.cancelled"]
URL = "https://hooks.example.org/clinic"


@pytest.fixture
def as_owner(client, owner_a, org_a):
    login(client, owner_a, org_a)
    return client


def endpoints_of(org) -> list[WebhookEndpoint]:
    with tenant_context(org=org):
        return list(WebhookEndpoint.objects.all())


def endpoint_of(org, url: str = URL) -> WebhookEndpoint:
    with tenant_context(org=org):
        return webhook_endpoint_create(url=url)[0]


def test_an_owner_adds_an_endpoint_and_sees_its_secret_once(as_owner, org_a, owner_a):
    response = as_owner.post(
        "/settings/webhooks/new/", {"url": URL, "description": "Booking site", "event_types": ALL_EVENTS[:2]}
    )
    assert response.status_code == 200
    secret = SECRET.search(response.content.decode()).group()
    (stored,) = endpoints_of(org_a)
    assert (stored.url, stored.description, stored.event_types, stored.created_by) == (
        URL,
        "Booking site",
        ALL_EVENTS[:2],
        owner_a,
    )
    assert stored.secret == secret
    for page in (as_owner.get("/settings/webhooks/"), as_owner.get(f"/settings/webhooks/{stored.pk}/")):
        body = page.content.decode()
        assert URL in body and not SECRET.search(body)


def test_a_refused_url_is_a_field_error(as_owner, org_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = as_owner.post("/settings/webhooks/new/", {"url": "https://127.0.0.1/x", "event_types": ALL_EVENTS})
    assert response.status_code == 400
    assert "private, loopback or reserved" in response.content.decode()
    assert endpoints_of(org_a) == []


def test_the_endpoint_page_changes_it_and_lists_its_deliveries_newest_first(as_owner, org_a):
    endpoint = endpoint_of(org_a)
    with tenant_context(org=org_a):
        older = factories.webhook_delivery(endpoint=endpoint, status="failed", last_error="HTTP 500", attempts=8)
        newer = factories.webhook_delivery(endpoint=endpoint, status="succeeded", response_status_code=204)
        WebhookDelivery.objects.filter(pk=older.pk).update(created_at=newer.created_at.replace(year=2025))
    page = as_owner.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    assert page.index(newer.event.public_id) < page.index(older.event.public_id)
    assert "HTTP 500" in page and "HTTP 204" in page
    response = as_owner.post(
        f"/settings/webhooks/{endpoint.pk}/", {"url": URL + "/v2", "description": "", "event_types": ALL_EVENTS[3:]}
    )
    assert response.status_code == 302
    (changed,) = endpoints_of(org_a)
    assert (changed.url, changed.event_types) == (URL + "/v2", ["appointment.cancelled"])


def test_turning_off_and_on_testing_and_deleting(as_owner, org_a, owner_a, django_capture_on_commit_callbacks):
    endpoint = endpoint_of(org_a)
    base = f"/settings/webhooks/{endpoint.pk}"
    assert as_owner.post(f"{base}/off/").status_code == 302
    (off,) = endpoints_of(org_a)
    assert off.active is False and off.disabled_reason == f"Turned off by {owner_a}."
    page = as_owner.get(f"{base}/").content.decode()
    assert "This endpoint is off" in page and "Turn on" in page
    as_owner.post(f"{base}/ping/")  # refused while off
    with tenant_context(org=org_a):
        assert not WebhookDelivery.objects.exists()
    as_owner.post(f"{base}/on/")
    with django_capture_on_commit_callbacks() as deferred:
        assert as_owner.post(f"{base}/ping/").status_code == 302
    assert len(deferred) == 1
    assert "Test event" in as_owner.get(f"{base}/").content.decode()
    assert as_owner.post(f"{base}/delete/").status_code == 302
    assert endpoints_of(org_a) == []


def test_staff_get_404_and_no_nav_link(client, staff_a, org_a):
    endpoint = endpoint_of(org_a)
    login(client, staff_a, org_a)
    assert client.get("/settings/webhooks/").status_code == 404
    assert client.post("/settings/webhooks/new/", {"url": URL, "event_types": ALL_EVENTS}).status_code == 404
    assert client.get(f"/settings/webhooks/{endpoint.pk}/").status_code == 404
    assert client.post(f"/settings/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert "Webhooks" not in client.get("/").content.decode()
    assert len(endpoints_of(org_a)) == 1


def test_managers_get_the_nav_link(as_owner):
    assert 'href="/settings/webhooks/"' in as_owner.get("/").content.decode()


def test_another_clinics_endpoints_are_404s(as_owner, org_a, org_b):
    theirs = endpoint_of(org_b, url="https://b.example.org/hook")
    base = f"/settings/webhooks/{theirs.pk}"
    assert as_owner.get(f"{base}/").status_code == 404
    assert as_owner.post(f"{base}/", {"url": URL, "event_types": ALL_EVENTS}).status_code == 404
    for action in ("off", "on", "ping", "delete"):
        assert as_owner.post(f"{base}/{action}/").status_code == 404, action
    assert "b.example.org" not in as_owner.get("/settings/webhooks/").content.decode()
    (untouched,) = endpoints_of(org_b)
    assert untouched.active and untouched.url == "https://b.example.org/hook"


# --- The admin ------------------------------------------------------------------------


ADMIN = "/admin/api/webhookendpoint/"


def test_the_admin_adds_through_the_service_and_shows_the_secret_once(admin_client, org_a):
    response = admin_client.post(f"{ADMIN}add/", {"url": URL, "description": "CRM", "event_types": ALL_EVENTS[:1]})
    assert response.status_code == 200
    secret = SECRET.search(response.content.decode()).group()
    (stored,) = endpoints_of(org_a)
    assert stored.secret == secret and stored.event_types == ALL_EVENTS[:1]
    for page in (admin_client.get(ADMIN), admin_client.get(f"{ADMIN}{stored.pk}/change/")):
        assert page.status_code == 200 and not SECRET.search(page.content.decode())


def test_the_admin_refuses_a_private_url_on_the_form(admin_client, org_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = admin_client.post(f"{ADMIN}add/", {"url": "https://10.0.0.1/", "event_types": ALL_EVENTS})
    assert response.status_code == 200 and response.context["adminform"].form.errors["url"]
    assert endpoints_of(org_a) == []


def test_the_admin_turns_off_changes_and_deletes(admin_client, org_a):
    endpoint = endpoint_of(org_a)
    response = admin_client.post(
        f"{ADMIN}{endpoint.pk}/change/", {"url": URL, "description": "x", "event_types": ALL_EVENTS[2:]}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    (changed,) = endpoints_of(org_a)
    assert (changed.active, changed.event_types) == (False, ALL_EVENTS[2:])  # the box was left unticked
    assert changed.disabled_reason.startswith("Turned off by")
    admin_client.post(ADMIN, {"action": "turn_on", "_selected_action": [str(endpoint.pk)]})
    assert endpoints_of(org_a)[0].active is True
    admin_client.post(f"{ADMIN}{endpoint.pk}/delete/", {"post": "yes"})
    assert endpoints_of(org_a) == []


def test_the_admin_never_shows_another_clinics_endpoints_or_deliveries(admin_client, org_a, org_b):
    theirs = endpoint_of(org_b, url="https://b.example.org/hook")
    with tenant_context(org=org_b):
        delivery = factories.webhook_delivery(endpoint=theirs)
    assert admin_client.get(f"{ADMIN}{theirs.pk}/change/").status_code == 404
    assert admin_client.get(f"/admin/api/webhookdelivery/{delivery.pk}/change/").status_code == 404
    assert "b.example.org" not in admin_client.get(ADMIN).content.decode()
    assert admin_client.get("/admin/api/webhookdelivery/").status_code == 200
