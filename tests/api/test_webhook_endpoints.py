"""/api/v1/webhook-endpoints/: owners' and admins' business (a write key, or signed in
as a manager). The secret is in the creation response only; another clinic's endpoints
answer 404; a clinic named in a body is refused; each endpoint's deliveries are listed
newest first, a page at a time, in a constant number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.api.models import WebhookDelivery, WebhookEndpoint
from clinic.api.webhooks.services import webhook_endpoint_create
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.api import walk
from tests.support.people import login
from tests.support.sms import book_in

URL = "https://hooks.example.org/clinic"
FIELDS = {
    "id",
    "url",
    "description",
    "event_types",
    "active",
    "disabled_at",
    "disabled_reason",
    "consecutive_failures",
    "created_at",
    "rotation_ends_at",
}


def endpoint_of(org, url: str = URL, **options) -> WebhookEndpoint:
    with tenant_context(org=org):
        return webhook_endpoint_create(url=url, **options)[0]


def test_creating_an_endpoint_returns_its_secret_once(api_a, org_a):
    response = api_a.post(
        "webhook-endpoints/",
        {"url": URL, "description": "Booking site", "event_types": ["appointment.cancelled", "appointment.created"]},
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert set(created) == FIELDS | {"secret"}
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["appointment.created", "appointment.cancelled"]
    assert response["Location"].endswith(f"/api/v1/webhook-endpoints/{created['id']}/")
    for shown in (api_a.get(f"webhook-endpoints/{created['id']}/"), api_a.get("webhook-endpoints/")):
        assert shown.status_code == 200 and created["secret"] not in shown.content.decode()
        assert "secret" not in shown.content.decode()
    with tenant_context(org=org_a):
        assert WebhookEndpoint.objects.get().secret == created["secret"]  # kept for signing


def test_every_event_by_default_and_bad_input_is_named(api_a):
    assert len(api_a.post("webhook-endpoints/", {"url": URL}).json()["event_types"]) == 6
    for body, field in (
        ({"url": "ftp://x.example.org/"}, "url"),
        ({"url": URL, "event_types": []}, "event_types"),
        ({"url": URL, "event_types": ["appointment.deleted"]}, "event_types"),
        ({"url": URL, "secret": "whsec_mine"}, "secret"),
        ({"description": "no url"}, "url"),
    ):
        response = api_a.post("webhook-endpoints/", body)
        assert response.status_code == 400, body
        assert field in response.json()["error"]["fields"], response.json()


def test_changing_turning_off_and_on_and_deleting(api_a, org_a):
    endpoint = endpoint_of(org_a)
    url = f"webhook-endpoints/{endpoint.pk}/"
    changed = api_a.patch(url, {"description": "CRM", "event_types": ["appointment.confirmed"]}).json()
    assert (changed["description"], changed["event_types"]) == ("CRM", ["appointment.confirmed"])
    off = api_a.patch(url, {"active": False}).json()
    assert off["active"] is False and off["disabled_reason"] == "Turned off." and off["disabled_at"]
    on = api_a.patch(url, {"active": True}).json()
    assert (on["active"], on["disabled_at"], on["disabled_reason"]) == (True, None, "")
    assert api_a.patch(url, {"url": "gopher://x/"}).status_code == 400
    assert api_a.request("DELETE", url).status_code == 204
    assert api_a.get(url).status_code == 404
    with tenant_context(org=org_a):
        assert not WebhookEndpoint.objects.exists()


def test_read_only_keys_and_staff_may_not_see_or_manage_endpoints(client, api_a_read_only, org_a, staff_a):
    endpoint = endpoint_of(org_a)
    assert api_a_read_only.get("webhook-endpoints/").status_code == 403
    assert api_a_read_only.post("webhook-endpoints/", {"url": URL}).status_code == 403
    login(client, staff_a, org_a)
    assert client.get("/api/v1/webhook-endpoints/").status_code == 403
    assert client.get(f"/api/v1/webhook-endpoints/{endpoint.pk}/deliveries/").status_code == 403


def test_an_owner_signed_in_manages_them_too(client, owner_a, org_a):
    endpoint_of(org_a)
    login(client, owner_a, org_a)
    response = client.get("/api/v1/webhook-endpoints/")
    assert response.status_code == 200 and len(response.json()["results"]) == 1


def test_another_clinics_endpoints_answer_404_and_are_never_listed(api_a, org_a, org_b):
    mine, theirs = endpoint_of(org_a), endpoint_of(org_b, url="https://b.example.org/hook")
    base = f"webhook-endpoints/{theirs.pk}/"
    assert api_a.get(base).status_code == 404
    assert api_a.patch(base, {"active": False}).status_code == 404
    assert api_a.request("DELETE", base).status_code == 404
    assert api_a.get(f"{base}deliveries/").status_code == 404
    assert api_a.post(f"{base}ping/").status_code == 404
    assert [row["id"] for row in api_a.get("webhook-endpoints/").json()["results"]] == [str(mine.pk)]
    with tenant_context(org=org_b):
        assert WebhookEndpoint.objects.get().active is True
        assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("body", [{"organization": "b"}, {"organization_id": "b"}])
def test_a_clinic_named_in_a_body_is_refused(api_a, org_a, org_b, body):
    endpoint = endpoint_of(org_a)
    for method, url in (("post", "webhook-endpoints/"), ("patch", f"webhook-endpoints/{endpoint.pk}/")):
        response = getattr(api_a, method)(url, {"url": URL, **body})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "organization_not_allowed"
    with tenant_context(org=org_b):
        assert not WebhookEndpoint.objects.exists()


def test_the_delivery_log_is_newest_first_a_page_at_a_time(api_a, people_a):
    endpoint = endpoint_of(people_a.org)
    with tenant_context(org=people_a.org):
        for hours in range(5):
            book_in(people_a, hours=30 + 2 * hours)
        newest_first = list(WebhookDelivery.objects.order_by("-created_at", "-id").values_list("id", "event_id"))
    pages = walk(api_a, f"/api/v1/webhook-endpoints/{endpoint.pk}/deliveries/?limit=2")
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [pk for page in pages for pk in page] == [str(pk) for pk, _ in newest_first]
    row = api_a.get(f"webhook-endpoints/{endpoint.pk}/deliveries/").json()["results"][0]
    assert row["event"] == f"evt_{newest_first[0][1].hex}" and row["event_type"] == "appointment.created"
    assert (row["status"], row["attempts"], row["response_status_code"], row["last_error"]) == ("pending", 0, None, "")


def test_the_delivery_log_runs_the_same_queries_whatever_the_page_size(api_a, people_a):
    endpoint = endpoint_of(people_a.org)
    with tenant_context(org=people_a.org):
        for _ in range(30):
            factories.webhook_delivery(endpoint=endpoint)
    api_a.get("me/")  # the key's first use of the minute writes last_used_at
    counts = []
    for limit in (2, 25):
        with CaptureQueriesContext(connection) as queries:
            response = api_a.get(f"webhook-endpoints/{endpoint.pk}/deliveries/", {"limit": limit})
        assert len(response.json()["results"]) == limit
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_ping_queues_a_test_event(api_a, org_a, django_capture_on_commit_callbacks):
    endpoint = endpoint_of(org_a)
    with django_capture_on_commit_callbacks() as deferred:
        response = api_a.post(f"webhook-endpoints/{endpoint.pk}/ping/")
    assert response.status_code == 202
    assert (response.json()["event_type"], response.json()["status"]) == ("ping", "pending")
    assert len(deferred) == 1
    api_a.patch(f"webhook-endpoints/{endpoint.pk}/", {"active": False})
    refused = api_a.post(f"webhook-endpoints/{endpoint.pk}/ping/")
    assert refused.status_code == 400 and "Turn the endpoint on" in refused.json()["error"]["message"]
