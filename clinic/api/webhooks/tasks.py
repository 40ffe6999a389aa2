"""The worker's webhook tasks (procrastinate). Each delivery job runs as one clinic,
named in its payload by the server that deferred it (tenancy.jobs); the minute tick
only learns which clinics have deliveries that lost their job, through one narrow
function that returns clinic ids and nothing else (migration api/0004)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from clinic.api.models import WebhookDelivery
from clinic.api.webhooks import delivery
from tenancy.jobs import defer_on_commit, defer_per_clinic, tenant_task

QUEUE = "webhooks"
RETRY = RetryStrategy(
    max_attempts=delivery.MAX_ATTEMPTS, exponential_wait=delivery.BACKOFF_BASE, retry_exceptions={delivery.RetryLater}
)


def delivery_lease() -> float:
    """The longest a delivery job can take: its call's deadline, and the margin after
    which its delivery is taken to be lost."""
    return settings.WEBHOOK_TIMEOUT_SECONDS + delivery.IN_FLIGHT_MARGIN.total_seconds()


# At most JOBS_IN_FLIGHT_PER_CLINIC of a clinic's deliveries run at once: endpoints
# that never answer take that many worker slots, not all of them (tenancy.job_slots).
@tenant_task(app, queue=QUEUE, retry=RETRY, per_step=True, in_flight=QUEUE, lease_seconds=delivery_lease)
def deliver_webhook(*, organization_id: str, delivery_id: str, step) -> None:
    delivery.deliver(delivery_id, step)


def defer_delivery(webhook_delivery: WebhookDelivery) -> None:
    defer_on_commit(
        deliver_webhook,
        organization_id=webhook_delivery.organization_id,
        delivery_id=str(webhook_delivery.id),
        queueing_lock=f"webhook-delivery:{webhook_delivery.id}",
    )


@app.periodic(cron="* * * * *", periodic_id="webhooks-tick")
@app.task(queue=QUEUE, queueing_lock="webhooks-tick", pass_context=False)
def tick(timestamp: int) -> int:
    """Each minute: the clinics with deliveries overdue (their job was lost: a worker
    killed mid-call, a process that died between commit and defer), one job each."""
    overdue_before = [timezone.now() - delivery.OVERDUE_AFTER]
    return defer_per_clinic(
        redeliver_overdue, "SELECT api_webhook_overdue_clinics(%s)", overdue_before, lock_prefix="webhooks-overdue"
    )


@tenant_task(app, queue=QUEUE)
def redeliver_overdue(*, organization_id: str) -> int:
    # Not run for a suspended clinic (tenant_task asks clinic.core.status):
    # reactivation defers its pending deliveries again.
    overdue = overdue_deliveries(timezone.now())
    for webhook_delivery in overdue:
        defer_delivery(webhook_delivery)
    return len(overdue)


def overdue_deliveries(now) -> list[WebhookDelivery]:
    """Pending deliveries late for their attempt and not in flight (the same rule as
    the tick's function)."""
    return list(
        WebhookDelivery.objects.filter(
            Q(in_flight_until__isnull=True) | Q(in_flight_until__lt=now),
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lt=now - delivery.OVERDUE_AFTER,
        ).only("id", "organization_id")
    )
