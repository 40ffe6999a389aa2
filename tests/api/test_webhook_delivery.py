"""Delivering events: the job POSTs the event's JSON, signed as Standard Webhooks says
(checked here independently), outside any transaction; a failure is committed and
retried with backoff, then fails for good; an endpoint that keeps failing is turned
off; redirects are not followed; one clinic's events never reach another's endpoint."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json

import pytest
from django.db import connection
from django.utils import timezone

from clinic.api.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from clinic.api.webhooks import delivery
from clinic.api.webhooks.services import webhook_endpoint_create, webhook_endpoint_ping
from clinic.api.webhooks.tasks import deliver_webhook
from tenancy.context import tenant_context
from tests.support.sms import book_in
from tests.support.webhooks import Receiver, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


def step_for(org):
    return functools.partial(tenant_context, org=org.id)


def subscribe(org, url: str, **options):
    with tenant_context(org=org):
        return webhook_endpoint_create(url=url, **options)


_hours = itertools.count(30, 2)


def book_and_get_delivery(people) -> WebhookDelivery:
    """A booking, and the delivery of its event (the only one waiting)."""
    with tenant_context(org=people.org):
        book_in(people, hours=next(_hours))
        return WebhookDelivery.objects.select_related("event", "endpoint").get(status="pending")


def reload(org, pk) -> WebhookDelivery:
    with tenant_context(org=org):
        return WebhookDelivery.objects.select_related("endpoint").get(pk=pk)


def test_the_job_posts_the_event_signed_with_the_endpoints_secret(people_a, receiver):
    endpoint, secret = subscribe(people_a.org, receiver.url)
    pending = book_and_get_delivery(people_a)
    deliver_webhook.func(organization_id=str(people_a.org.id), delivery_id=str(pending.pk))
    (request,) = receiver.requests
    assert request.path == "/hooks/clinic"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == pending.event.public_id
    assert request.headers["webhook-signature"].startswith("v1,")
    assert verify(secret, request.headers, request.body)
    assert not verify(secret, request.headers, request.body + b" ")
    assert not verify("whsec_" + "A" * 44, request.headers, request.body)
    assert request.body == pending.event.payload.encode()
    assert request.json()["type"] == "appointment.created"
    done = reload(people_a.org, pending.pk)
    assert (done.status, done.attempts, done.response_status_code, done.last_error) == ("succeeded", 1, 200, "")
    assert done.delivered_at is not None and done.next_attempt_at is None
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 44


def test_the_endpoint_is_called_outside_the_jobs_transactions(people_a, receiver, monkeypatch):
    subscribe(people_a.org, receiver.url)
    pending = book_and_get_delivery(people_a)
    post, depth, seen = delivery.http.post, len(connection.savepoint_ids), []

    def spy(*args, **kwargs):
        # The test's own transaction wraps everything here; no step of the job is open.
        seen.append(len(connection.savepoint_ids))
        return post(*args, **kwargs)

    monkeypatch.setattr(delivery.http, "post", spy)
    delivery.deliver(pending.pk, step_for(people_a.org))
    assert seen == [depth]
    assert len(receiver.requests) == 1


def test_a_failing_endpoint_is_retried_with_backoff_then_succeeds(people_a, receiver):
    subscribe(people_a.org, receiver.url)
    receiver.fail(500)
    pending = book_and_get_delivery(people_a)
    before = timezone.now()
    with pytest.raises(delivery.RetryLater):
        deliver_webhook.func(organization_id=str(people_a.org.id), delivery_id=str(pending.pk))
    failed_once = reload(people_a.org, pending.pk)
    assert (failed_once.status, failed_once.attempts, failed_once.response_status_code) == ("pending", 1, 500)
    assert failed_once.last_error == "HTTP 500"
    assert before + dt.timedelta(seconds=5) <= failed_once.next_attempt_at <= timezone.now() + dt.timedelta(seconds=5)
    assert failed_once.in_flight_until is None
    deliver_webhook.func(organization_id=str(people_a.org.id), delivery_id=str(pending.pk))
    done = reload(people_a.org, pending.pk)
    assert (done.status, done.attempts, done.response_status_code, done.last_error) == ("succeeded", 2, 200, "")
    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]


def test_the_retry_strategy_waits_what_the_delivery_records():
    from clinic.api.webhooks.tasks import RETRY

    assert RETRY.max_attempts == delivery.MAX_ATTEMPTS
    assert [delivery.backoff(n).total_seconds() for n in (1, 2, 3)] == [5, 25, 125]
    assert RETRY.exponential_wait == delivery.BACKOFF_BASE


def test_after_the_last_attempt_the_delivery_has_failed(people_a, receiver):
    endpoint, _ = subscribe(people_a.org, receiver.url)
    receiver.fail(*[503] * delivery.MAX_ATTEMPTS)
    pending = book_and_get_delivery(people_a)
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        with pytest.raises(delivery.RetryLater):
            delivery.deliver(pending.pk, step_for(people_a.org))
    delivery.deliver(pending.pk, step_for(people_a.org))
    failed = reload(people_a.org, pending.pk)
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", delivery.MAX_ATTEMPTS, "HTTP 503")
    assert failed.endpoint.consecutive_failures == 1 and failed.endpoint.active
    delivery.deliver(pending.pk, step_for(people_a.org))  # a stray job changes nothing
    assert len(receiver.requests) == delivery.MAX_ATTEMPTS


def fail_for_good(people, pending) -> None:
    """The delivery's last attempt, failing."""
    with tenant_context(org=people.org):
        WebhookDelivery.objects.filter(pk=pending.pk).update(attempts=delivery.MAX_ATTEMPTS - 1)
    delivery.deliver(pending.pk, step_for(people.org))


def test_an_endpoint_failing_too_often_in_a_row_is_turned_off(people_a, receiver, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    endpoint, _ = subscribe(people_a.org, receiver.url)
    receiver.fail(500, 500)
    for _ in range(2):
        fail_for_good(people_a, book_and_get_delivery(people_a))
        with tenant_context(org=people_a.org):
            WebhookDelivery.objects.all().delete()
    with tenant_context(org=people_a.org):
        endpoint.refresh_from_db()
    assert endpoint.active is False and endpoint.disabled_at is not None
    assert endpoint.disabled_reason == "Turned off after 2 deliveries in a row failed (the last: HTTP 500)."
    with tenant_context(org=people_a.org):
        book_in(people_a, hours=50)
        assert not WebhookDelivery.objects.exists()  # no new events for it


def test_a_success_resets_the_count(people_a, receiver, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    endpoint, _ = subscribe(people_a.org, receiver.url)
    receiver.fail(500)
    fail_for_good(people_a, book_and_get_delivery(people_a))
    delivery.deliver(book_and_get_delivery(people_a).pk, step_for(people_a.org))
    with tenant_context(org=people_a.org):
        endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.active


def test_a_delivery_waiting_for_an_endpoint_turned_off_meanwhile_is_not_sent(people_a, receiver):
    endpoint, _ = subscribe(people_a.org, receiver.url)
    waiting = book_and_get_delivery(people_a)
    with tenant_context(org=people_a.org):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    delivery.deliver(waiting.pk, step_for(people_a.org))
    assert receiver.requests == []
    failed = reload(people_a.org, waiting.pk)
    assert (failed.status, failed.last_error) == ("failed", "Not sent: the endpoint is turned off.")
    assert failed.endpoint.consecutive_failures == 0


def test_redirects_are_not_followed(people_a, receiver):
    subscribe(people_a.org, receiver.url)
    receiver.fail(302, headers={"Location": "http://127.0.0.1:9/elsewhere"})
    pending = book_and_get_delivery(people_a)
    with pytest.raises(delivery.RetryLater):
        delivery.deliver(pending.pk, step_for(people_a.org))
    assert len(receiver.requests) == 1
    assert reload(people_a.org, pending.pk).last_error.startswith("HTTP 302: redirects are not followed")


def test_a_slow_endpoint_times_out(people_a, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    subscribe(people_a.org, receiver.url)
    receiver.fail(200, delay=2)
    pending = book_and_get_delivery(people_a)
    with pytest.raises(delivery.RetryLater):
        delivery.deliver(pending.pk, step_for(people_a.org))
    assert reload(people_a.org, pending.pk).last_error == "No answer within 1 s."


def test_an_endpoint_that_refuses_connections_is_retried(people_a):
    with Receiver() as gone:
        url = gone.url
    subscribe(people_a.org, url)
    pending = book_and_get_delivery(people_a)
    with pytest.raises(delivery.RetryLater):
        delivery.deliver(pending.pk, step_for(people_a.org))
    failed = reload(people_a.org, pending.pk)
    assert failed.response_status_code is None and failed.last_error.startswith("Connection failed")


def test_a_delivery_in_flight_is_left_to_its_worker(people_a, receiver):
    subscribe(people_a.org, receiver.url)
    pending = book_and_get_delivery(people_a)
    with tenant_context(org=people_a.org):
        WebhookDelivery.objects.filter(pk=pending.pk).update(in_flight_until=timezone.now() + dt.timedelta(seconds=30))
    delivery.deliver(pending.pk, step_for(people_a.org))
    assert receiver.requests == []


def test_a_ping_is_sent_once_and_never_counts_against_the_endpoint(people_a, receiver):
    endpoint, secret = subscribe(people_a.org, receiver.url)
    receiver.fail(500)
    with tenant_context(org=people_a.org):
        ping = webhook_endpoint_ping(endpoint=endpoint)
    delivery.deliver(ping.pk, step_for(people_a.org))  # no retry
    failed = reload(people_a.org, ping.pk)
    assert (failed.status, failed.endpoint.consecutive_failures) == ("failed", 0)
    with tenant_context(org=people_a.org):
        ping = webhook_endpoint_ping(endpoint=endpoint)
    delivery.deliver(ping.pk, step_for(people_a.org))
    request = receiver.requests[-1]
    assert verify(secret, request.headers, request.body)
    assert request.json()["type"] == "ping" and request.json()["data"] == {"endpoint": str(endpoint.pk)}


def test_one_clinics_events_never_reach_another_clinics_endpoint(people_a, people_b):
    with Receiver() as server_a, Receiver() as server_b:
        subscribe(people_a.org, server_a.url)
        subscribe(people_b.org, server_b.url)
        pending = book_and_get_delivery(people_a)
        # A job naming clinic B cannot even see clinic A's delivery.
        deliver_webhook.func(organization_id=str(people_b.org.id), delivery_id=str(pending.pk))
        assert server_a.requests == [] and server_b.requests == []
        deliver_webhook.func(organization_id=str(people_a.org.id), delivery_id=str(pending.pk))
        assert len(server_a.requests) == 1 and server_b.requests == []
        assert json.loads(server_a.requests[0].body)["data"]["patient"] == str(people_a.jane.pk)
    with tenant_context(org=people_b.org):
        assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()


def test_the_docs_verification_snippet_accepts_a_real_delivery(people_a, receiver):
    from pathlib import Path

    from django.conf import settings

    page = (Path(settings.BASE_DIR) / "docs" / "integrators" / "webhooks.md").read_text()
    section = page[page.index("**Verifying a delivery**") :]
    snippet = section[section.index("```python\n") + len("```python\n") : section.index("```\n\n")]
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 (our own integrator guide)
    _, secret = subscribe(people_a.org, receiver.url)
    pending = book_and_get_delivery(people_a)
    delivery.deliver(pending.pk, step_for(people_a.org))
    (request,) = receiver.requests
    assert namespace["verify"](secret, request.headers, request.body)
    assert not namespace["verify"](secret, request.headers, request.body.replace(b"created", b"cancelled"))
