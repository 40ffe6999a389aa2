"""Delivering one event to one endpoint: the body of the delivery job.

1. In a tenant transaction of the job's clinic: lock the delivery, check it is still
   pending and its endpoint on, count the attempt, mark it in flight (another worker
   running the same delivery leaves it be) and sign the body. Commit.
2. Outside any transaction: POST it (http.post; a total deadline, no redirects, the
   checked address only). Nothing is locked or open while the endpoint takes its time.
3. In a second tenant transaction: record the answer. A 2xx delivered it; anything
   else is retried with exponential backoff (the job raises RetryLater once the failure
   is committed and procrastinate schedules the next attempt) until MAX_ATTEMPTS, after
   which it has failed for good, which counts towards turning the endpoint off.

Delivery is at least once: a worker killed after the POST but before step 3 leaves
the delivery pending, and the minute tick (clinic.api.webhooks.tasks) sends it again. The
`webhook-id` header stays the same, so a receiver can drop what it has seen. For the
same reason neither step waits for its commit to reach the disk: if PostgreSQL itself
crashed and lost one, the delivery is still pending and is sent again, like after a
lost worker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from clinic.api.models import EventType, WebhookDelivery, WebhookEndpoint
from clinic.api.webhooks import http, signing
from clinic.api.webhooks.endpoint_state import webhook_endpoint_record_failure
from tenancy.jobs import commit_without_waiting_for_disk

MAX_ATTEMPTS = 8
# Seconds before attempt n + 1 is BACKOFF_BASE ** n: 5 s, 25 s, 2 min, 10 min, 52 min,
# 4.3 h, 21.7 h; the eighth and last attempt comes about 27 hours after the first.
BACKOFF_BASE = 5
# A delivery's worker is presumed gone this long after its call should have ended.
IN_FLIGHT_MARGIN = dt.timedelta(seconds=30)
# A pending delivery this late for its attempt has lost its job (clinic.api.webhooks.tasks.tick).
OVERDUE_AFTER = dt.timedelta(minutes=5)

Step = Callable[[], AbstractContextManager]


class RetryLater(Exception):
    """The endpoint failed; the job is retried with backoff."""


@dataclass(frozen=True)
class Outgoing:
    url: str
    body: bytes
    headers: dict[str, str]


def backoff(attempts: int) -> dt.timedelta:
    """The wait after `attempts` failed attempts: what procrastinate's RetryStrategy
    (exponential_wait=BACKOFF_BASE) waits, recorded as the delivery's next attempt."""
    return dt.timedelta(seconds=BACKOFF_BASE**attempts)


def deliver(delivery_id, step: Step) -> None:
    """Send one delivery; `step()` opens a tenant transaction of the job's clinic."""
    with step():
        commit_without_waiting_for_disk()
        # (A suspended clinic's job never gets here: tenant_task asks
        # clinic.core.status, and the delivery stays pending, attempts uncounted.)
        outgoing = _claim(delivery_id)
    if outgoing is None:
        return
    outcome = http.post(
        outgoing.url,
        outgoing.body,
        outgoing.headers,
        connect_timeout=settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS,
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
    )
    with step():
        commit_without_waiting_for_disk()
        retry = _record(delivery_id, outcome)
    if retry:  # raised once the failure is committed
        raise RetryLater(f"webhook delivery {delivery_id}: {outcome.error}")


def _claim(delivery_id) -> Outgoing | None:
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("event", "endpoint")
        .filter(pk=delivery_id)
        .first()
    )
    now = timezone.now()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return None
    if delivery.in_flight_until is not None and delivery.in_flight_until > now:
        return None  # another worker is calling the endpoint right now
    endpoint = delivery.endpoint
    if not endpoint.active:
        _finish(delivery, WebhookDelivery.Status.FAILED, error="Not sent: the endpoint is turned off.")
        return None
    delivery.attempts += 1
    delivery.in_flight_until = now + dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS) + IN_FLIGHT_MARGIN
    delivery.save(update_fields=["attempts", "in_flight_until"])
    body = delivery.event.payload.encode()
    # Both secrets while a rotation is under way: decided now, so nothing has to run
    # when the previous one expires.
    headers = signing.headers(
        secrets=endpoint.signing_secrets(now),
        message_id=delivery.event.public_id,
        timestamp=int(now.timestamp()),
        body=body,
    )
    return Outgoing(url=endpoint.url, body=body, headers=headers)


def _record(delivery_id, outcome: http.Outcome) -> bool:
    """Store the answer; True if the delivery should be tried again."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("event").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return False  # deleted with its endpoint meanwhile
    delivery.response_status_code = outcome.status_code
    if outcome.succeeded:
        _finish(delivery, WebhookDelivery.Status.SUCCEEDED)
        endpoint = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, consecutive_failures__gt=0)
        endpoint.update(consecutive_failures=0)
        return False
    is_test = delivery.event.type == EventType.PING
    if not is_test and delivery.attempts < MAX_ATTEMPTS:
        delivery.last_error = outcome.error[:300]
        delivery.in_flight_until = None
        delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
        delivery.save(update_fields=["response_status_code", "last_error", "in_flight_until", "next_attempt_at"])
        return True
    _finish(delivery, WebhookDelivery.Status.FAILED, error=outcome.error)
    if not is_test:  # a test event that fails is reported, not counted
        webhook_endpoint_record_failure(
            endpoint_id=delivery.endpoint_id,
            error=outcome.error,
            disable_after=settings.WEBHOOK_DISABLE_AFTER_FAILURES,
        )
    return False


def _finish(delivery: WebhookDelivery, status: str, *, error: str = "") -> None:
    delivery.status, delivery.last_error = status, error[:300]
    delivery.in_flight_until = delivery.next_attempt_at = None
    if status == WebhookDelivery.Status.SUCCEEDED:
        delivery.delivered_at = timezone.now()
    delivery.save(
        update_fields=[
            "status",
            "last_error",
            "in_flight_until",
            "next_attempt_at",
            "delivered_at",
            "response_status_code",
        ]
    )
