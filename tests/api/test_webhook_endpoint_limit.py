"""A clinic has at most WEBHOOK_ENDPOINTS_MAX_PER_CLINIC webhook endpoints: each event
is one delivery job per endpoint, and endpoints are what a clinic could multiply to
tie the worker up. The service refuses one more (the API answers 400, the staff page and
the admin show why); another clinic's endpoints do not count, and deleting one makes room."""

from __future__ import annotations

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from clinic.api.models import WebhookEndpoint
from clinic.api.webhooks.services import webhook_endpoint_create, webhook_endpoint_delete
from tenancy.context import tenant_context
from tests.support.people import login

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.org/clinic"
REFUSAL = "This clinic has 3 webhook endpoints, the most it may have; delete one before adding another."


@pytest.fixture(autouse=True)
def limit_of_three(settings):
    settings.WEBHOOK_ENDPOINTS_MAX_PER_CLINIC = 3


def create(org, number: int) -> WebhookEndpoint:
    with tenant_context(org=org):
        return webhook_endpoint_create(url=f"{URL}/{number}")[0]


def count(org) -> int:
    with tenant_context(org=org):
        return WebhookEndpoint.objects.count()


def test_the_service_refuses_an_endpoint_over_the_limit(org_a, org_b):
    endpoints = [create(org_a, number) for number in range(3)]
    with pytest.raises(ValidationError) as refused:
        create(org_a, 3)
    assert refused.value.message_dict == {NON_FIELD_ERRORS: [REFUSAL]}
    assert count(org_a) == 3
    create(org_b, 0)  # another clinic has its own limit
    with tenant_context(org=org_a):
        webhook_endpoint_delete(endpoint=endpoints[0])
    create(org_a, 3)
    assert (count(org_a), count(org_b)) == (3, 1)


def test_the_api_answers_400_over_the_limit(api_a, org_a):
    for number in range(3):
        assert api_a.post("webhook-endpoints/", {"url": f"{URL}/{number}"}).status_code == 201
    response = api_a.post("webhook-endpoints/", {"url": f"{URL}/3"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == REFUSAL
    assert count(org_a) == 3


def test_the_staff_page_shows_the_refusal(client, owner_a, org_a):
    login(client, owner_a, org_a)
    for number in range(3):
        create(org_a, number)
    response = client.post("/settings/webhooks/new/", {"url": f"{URL}/3", "event_types": ["appointment.created"]})
    assert response.status_code == 400
    assert REFUSAL in response.content.decode()
    assert count(org_a) == 3


def test_the_admin_shows_the_refusal(admin_client, org_a):
    for number in range(3):
        create(org_a, number)
    response = admin_client.post(
        "/admin/api/webhookendpoint/add/", {"url": f"{URL}/3", "event_types": ["appointment.created"]}
    )
    assert response.status_code == 200  # the form again, with the reason
    assert REFUSAL in response.content.decode()
    assert count(org_a) == 3
