"""The worker's SMS tasks (procrastinate). Every task but the minute tick runs as
one clinic, named in its payload by the server that deferred it (tenancy.jobs)."""

from __future__ import annotations

import logging

from django.db.models import Q
from django.utils import timezone
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from clinic.messaging import delivery
from clinic.messaging.models import ConfirmationRequest, SmsMessage
from tenancy.jobs import commit_without_waiting_for_disk, defer_on_commit, defer_per_clinic, tenant_task

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
    stale = [now - delivery.QUEUED_STALE_AFTER, now - delivery.sending_stale_after()]
    return defer_per_clinic(dispatch_clinic, "SELECT messaging_due_clinics(%s, %s)", stale, lock_prefix="sms-dispatch")


# A clinic with more due texts than this gets another dispatch job right away.
CLAIMS_PER_DISPATCH = 200


@tenant_task(app, queue=QUEUE)
def dispatch_clinic(*, organization_id: str) -> int:
    """Claim the clinic's due requests (each gets its queued message, in this one
    transaction), defer one send job per message once it commits, and again for
    messages whose job or worker was lost (see delivery). Returns how many requests
    were claimed. Not run for a suspended clinic (tenant_task asks
    clinic.core.status): its requests stay pending until it is reactivated."""
    now = timezone.now()
    commit_without_waiting_for_disk()  # claims are made again if lost (see delivery)
    # Not locked here: the claim locks each appointment first, then its requests.
    due = list(
        ConfirmationRequest.objects.filter(status=ConfirmationRequest.Status.PENDING, due_at__lte=now)
        .order_by("due_at")
        .values_list("id", flat=True)[:CLAIMS_PER_DISPATCH]
    )
    messages = delivery.queue_confirmations(due, now=now) if due else []
    for message in messages:
        defer_delivery(message)
    claimed = len(messages)
    if len(due) == CLAIMS_PER_DISPATCH:
        defer_on_commit(dispatch_clinic, organization_id=organization_id)
    stale = SmsMessage.objects.filter(
        Q(status=SmsMessage.Status.QUEUED, status_changed_at__lt=now - delivery.QUEUED_STALE_AFTER)
        | Q(status=SmsMessage.Status.SENDING, status_changed_at__lt=now - delivery.sending_stale_after())
    )
    for message in stale:
        if message.status == SmsMessage.Status.SENDING:
            logger.warning("text %s of clinic %s was lost mid-send; asking the provider", message.id, organization_id)
        defer_delivery(message)
    return claimed


@tenant_task(app, queue=QUEUE, retry=PROVIDER_RETRY, per_step=True)
def send_message(*, organization_id: str, message_id: str, step) -> None:
    """The send job: one queued text to the provider (see delivery.deliver)."""
    delivery.deliver(message_id, step)


def defer_delivery(message: SmsMessage) -> None:
    defer_on_commit(
        send_message,
        organization_id=message.organization_id,
        message_id=str(message.id),
        queueing_lock=f"sms-message:{message.id}",
    )
