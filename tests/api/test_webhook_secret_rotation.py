"""Rotating an endpoint's signing secret: the new secret is shown once; until the
rotation window ends each delivery carries two signatures (new and old, each verified
here with the app's verifier and independently, as the integrator guide tells integrators);
after it only the new one signs. The API and the staff page rotate through the one
service, which records an audit event; another clinic's endpoint is a 404, bad input
a 4xx that changes nothing."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.utils import timezone

from clinic.api.models import WebhookDelivery, WebhookEndpoint
from clinic.api.webhooks import signing
from clinic.api.webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
)
from clinic.api.webhooks.tasks import deliver_webhook
from clinic.audit.models import AuditEvent
from tenancy.context import tenant_context
from tests.support.audit import events
from tests.support.people import login
from tests.support.sms import book_in
from tests.support.webhooks import Receiver, verify

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{44}")
URL = "https://hooks.example.org/clinic"
_hours = itertools.count(30, 2)


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


def subscribe(org, url: str = URL):
    with tenant_context(org=org):
        return webhook_endpoint_create(url=url)


def rotate(org, endpoint, **options):
    with tenant_context(org=org):
        return webhook_endpoint_rotate_secret(endpoint=endpoint, **options)


def stored(org, endpoint) -> WebhookEndpoint:
    with tenant_context(org=org):
        return WebhookEndpoint.objects.get(pk=endpoint.pk)


def deliver_a_booking(people, receiver):
    with tenant_context(org=people.org):
        book_in(people, hours=next(_hours))
        pending = WebhookDelivery.objects.get(status="pending")
    deliver_webhook.func(organization_id=str(people.org.id), delivery_id=str(pending.pk))
    return receiver.requests[-1]


def app_verifies(secret: str, request) -> bool:
    headers = request.headers
    return signing.verify(
        secret,
        message_id=headers["webhook-id"],
        timestamp=headers["webhook-timestamp"],
        signature_header=headers["webhook-signature"],
        body=request.body,
    )


def end_the_window(org, endpoint) -> None:
    """Time passes: the rotation window is over (set directly, as a clock would)."""
    with tenant_context(org=org):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            previous_secret_expires_at=timezone.now() - dt.timedelta(seconds=1)
        )


def test_it_signs_with_both_secrets_during_the_window_and_the_new_one_after(people_a, receiver):
    endpoint, old = subscribe(people_a.org, receiver.url)
    endpoint, new = rotate(people_a.org, endpoint)
    assert new != old and SECRET.fullmatch(new)

    during = deliver_a_booking(people_a, receiver)
    signatures = during.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    for secret in (new, old):
        assert verify(secret, during.headers, during.body)
        assert app_verifies(secret, during)
    assert not verify(signing.new_secret(), during.headers, during.body)
    assert not app_verifies(new, type(during)(during.path, during.headers, during.body + b" "))

    end_the_window(people_a.org, endpoint)
    after = deliver_a_booking(people_a, receiver)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert verify(new, after.headers, after.body) and app_verifies(new, after)
    assert not verify(old, after.headers, after.body) and not app_verifies(old, after)


def test_the_window_defaults_to_the_setting_and_is_audited(org_a, settings):
    settings.WEBHOOK_SECRET_ROTATION_HOURS = 6
    endpoint, _ = subscribe(org_a)
    before = timezone.now()
    rotated, _ = rotate(org_a, endpoint)
    expected = before + dt.timedelta(hours=6)
    assert abs(rotated.previous_secret_expires_at - expected) < dt.timedelta(seconds=5)
    (event,) = events(org_a, action=AuditEvent.Action.WEBHOOK_SECRET_ROTATED)
    assert (event.object_type, event.object_id) == ("api.WebhookEndpoint", endpoint.pk)
    assert event.changed_fields == ["previous_secret_expires_at", "secret"]


def test_a_second_rotation_forgets_the_oldest_secret(org_a):
    endpoint, first = subscribe(org_a)
    endpoint, second = rotate(org_a, endpoint)
    endpoint, third = rotate(org_a, endpoint, overlap_hours=1)
    now = timezone.now()
    assert stored(org_a, endpoint).signing_secrets(now) == [third, second]
    assert first not in stored(org_a, endpoint).signing_secrets(now)


def test_zero_hours_stops_the_old_secret_at_once(org_a):
    endpoint, old = subscribe(org_a)
    endpoint, new = rotate(org_a, endpoint, overlap_hours=0)
    assert stored(org_a, endpoint).signing_secrets(timezone.now()) == [new]
    assert stored(org_a, endpoint).rotation_ends_at is None


@pytest.mark.parametrize("hours", [-1, 10_000, "24", True])
def test_the_service_refuses_a_window_out_of_range(org_a, hours):
    from django.core.exceptions import ValidationError

    endpoint, secret = subscribe(org_a)
    with pytest.raises(ValidationError, match="0 to"):
        rotate(org_a, endpoint, overlap_hours=hours)
    assert stored(org_a, endpoint).secret == secret


def test_the_service_refuses_a_deleted_endpoint(org_a):
    from django.core.exceptions import ValidationError

    endpoint, _ = subscribe(org_a)
    with tenant_context(org=org_a):
        webhook_endpoint_delete(endpoint=endpoint)
    with pytest.raises(ValidationError, match="deleted"):
        rotate(org_a, endpoint)


# --- The API ----------------------------------------------------------------------


def test_the_api_rotates_and_shows_the_new_secret_once(api_a, org_a):
    endpoint, old = subscribe(org_a)
    response = api_a.post(f"webhook-endpoints/{endpoint.pk}/rotate-secret/", {"overlap_hours": 48})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert SECRET.fullmatch(body["secret"]) and body["secret"] != old
    assert body["rotation_ends_at"] is not None
    now = timezone.now()
    assert stored(org_a, endpoint).signing_secrets(now) == [body["secret"], old]
    shown = api_a.get(f"webhook-endpoints/{endpoint.pk}/").json()
    assert shown["rotation_ends_at"] == body["rotation_ends_at"] and "secret" not in shown
    assert len(events(org_a, action=AuditEvent.Action.WEBHOOK_SECRET_ROTATED)) == 1


def test_the_api_rotates_with_the_default_window_when_none_is_given(api_a, org_a):
    endpoint, _ = subscribe(org_a)
    response = api_a.post(f"webhook-endpoints/{endpoint.pk}/rotate-secret/")
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize("body", [{"overlap_hours": -1}, {"overlap_hours": 100_000}, {"overlap_hours": "soon"}])
def test_the_api_refuses_a_window_out_of_range(api_a, org_a, body):
    endpoint, secret = subscribe(org_a)
    response = api_a.post(f"webhook-endpoints/{endpoint.pk}/rotate-secret/", body)
    assert response.status_code == 400
    assert "overlap_hours" in response.content.decode()
    assert stored(org_a, endpoint).secret == secret


def test_the_api_refuses_an_unknown_field(api_a, org_a):
    endpoint, secret = subscribe(org_a)
    response = api_a.post(f"webhook-endpoints/{endpoint.pk}/rotate-secret/", {"secret": "whsec_mine"})
    assert response.status_code == 400
    assert stored(org_a, endpoint).secret == secret


def test_another_clinics_or_a_deleted_endpoint_is_a_404(api_a, api_b, org_a):
    endpoint, secret = subscribe(org_a)
    assert api_b.post(f"webhook-endpoints/{endpoint.pk}/rotate-secret/").status_code == 404
    assert stored(org_a, endpoint).secret == secret
    with tenant_context(org=org_a):
        webhook_endpoint_delete(endpoint=endpoint)
    assert api_a.post(f"webhook-endpoints/{endpoint.pk}/rotate-secret/").status_code == 404


def test_a_read_only_key_may_not_rotate(api_a_read_only, org_a):
    endpoint, secret = subscribe(org_a)
    assert api_a_read_only.post(f"webhook-endpoints/{endpoint.pk}/rotate-secret/").status_code == 403
    assert stored(org_a, endpoint).secret == secret


# --- The staff page ---------------------------------------------------------------


def test_an_owner_rotates_on_the_page_and_sees_the_new_secret_once(client, owner_a, org_a):
    login(client, owner_a, org_a)
    endpoint, old = subscribe(org_a)
    response = client.post(f"/settings/webhooks/{endpoint.pk}/rotate-secret/", {"overlap_hours": "12"})
    assert response.status_code == 200
    (shown,) = SECRET.findall(response.content.decode())
    assert stored(org_a, endpoint).signing_secrets(timezone.now()) == [shown, old]
    again = client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    assert shown not in again and old not in again
    assert "still signs deliveries" in again
    (event,) = events(org_a, action=AuditEvent.Action.WEBHOOK_SECRET_ROTATED)
    assert event.actor_user_id == owner_a.pk


@pytest.mark.parametrize("hours", ["-1", "100000", "", "soon"])
def test_the_page_refuses_a_window_out_of_range(client, owner_a, org_a, hours):
    login(client, owner_a, org_a)
    endpoint, secret = subscribe(org_a)
    response = client.post(f"/settings/webhooks/{endpoint.pk}/rotate-secret/", {"overlap_hours": hours})
    assert response.status_code == 400
    assert not SECRET.search(response.content.decode())
    assert stored(org_a, endpoint).secret == secret


def test_the_page_is_a_404_for_another_clinic_staff_and_a_get(client, owner_a, staff_a, org_a, org_b):
    endpoint_b, secret_b = subscribe(org_b)
    login(client, owner_a, org_a)
    assert client.post(f"/settings/webhooks/{endpoint_b.pk}/rotate-secret/", {"overlap_hours": "1"}).status_code == 404
    assert stored(org_b, endpoint_b).secret == secret_b
    endpoint_a, secret_a = subscribe(org_a)
    assert client.get(f"/settings/webhooks/{endpoint_a.pk}/rotate-secret/").status_code == 405
    client.logout()
    login(client, staff_a, org_a)
    assert client.post(f"/settings/webhooks/{endpoint_a.pk}/rotate-secret/", {"overlap_hours": "1"}).status_code == 404
    assert stored(org_a, endpoint_a).secret == secret_a
