"""The worker's SMS tasks (procrastinate). Every task but the minute tick runs as
one clinic, named in its payload by the server that deferred it (tenancy.jobs)."""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.utils import timezone
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from clinic.messaging import delivery
from clinic.messaging.models import ConfirmationRequest, SmsMessage
from tenancy.jobs import defer_on_commit, tenant_task

logger = logging.getLogger(__name__)

QUEUE = "sms"
# Transient provider failures: 10 s, 20 s, 40 s, 80 s … between attempts.
PROVIDER_RETRY = RetryStrategy(
    max_attempts=delivery.MAX_ATTEMPTS, exponential_wait=10, retry_exceptions={delivery.RetryLater}
)


@app.periodic(cron="* * * * *", periodic_id="sms-tick")
@app.task(queue=QUEUE, queueing_lock="sms-tick", pass_context=False)
def tick(timestamp: int) -> int:
    """Each minute: which clinics have texts due (one narrow function that returns
    clinic ids only), and one dispatch job per clinic."""
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT messaging_due_clinics(%s, %s)",
            [now - delivery.QUEUED_STALE_AFTER, now - delivery.SENDING_STALE_AFTER],
        )
        clinics = [row[0] for row in cursor.fetchall()]
    for org_id in clinics:
        defer_on_commit(dispatch_clinic, organization_id=org_id, queueing_lock=f"sms-dispatch:{org_id}")
    return len(clinics)


@tenant_task(app, queue=QUEUE)
def dispatch_clinic(*, organization_id: str) -> int:
    """The clinic's due requests, one send job each; lost sends recovered."""
    now = timezone.now()
    due = ConfirmationRequest.objects.filter(status=ConfirmationRequest.Status.PENDING, due_at__lte=now)
    for request_id in due.values_list("id", flat=True):
        defer_on_commit(
            send_confirmation,
            organization_id=organization_id,
            request_id=str(request_id),
            queueing_lock=f"sms-request:{request_id}",
        )
    stale = SmsMessage.objects.filter(
        status=SmsMessage.Status.QUEUED, status_changed_at__lt=now - delivery.QUEUED_STALE_AFTER
    )
    for message in stale:
        defer_delivery(message)
    lost = delivery.fail_lost_sends(now)
    if lost:
        logger.warning("%s text(s) of clinic %s were lost mid-send and marked failed", lost, organization_id)
    return len(due)


@tenant_task(app, queue=QUEUE, retry=PROVIDER_RETRY, per_step=True)
def send_confirmation(*, organization_id: str, request_id: str, step) -> None:
    with step():
        message = delivery.queue_confirmation(request_id)
    if message is not None:
        delivery.deliver(message.id, step)


@tenant_task(app, queue=QUEUE, retry=PROVIDER_RETRY, per_step=True)
def deliver_message(*, organization_id: str, message_id: str, step) -> None:
    delivery.deliver(message_id, step)


def defer_delivery(message: SmsMessage) -> None:
    defer_on_commit(
        deliver_message,
        organization_id=message.organization_id,
        message_id=str(message.id),
        queueing_lock=f"sms-message:{message.id}",
    )


def defer_confirmation(request: ConfirmationRequest) -> None:
    defer_on_commit(
        send_confirmation,
        organization_id=request.organization_id,
        request_id=str(request.id),
        queueing_lock=f"sms-request:{request.id}",
    )
