"""An endpoint's state as deliveries find it: failures counted, and the endpoint turned
off, or on again. The delivery job writes here, below the endpoint services, which
send events and so reach the job's tasks: kept apart, neither imports the other."""

from __future__ import annotations

from django.utils import timezone

from clinic.api.models import WebhookEndpoint


def webhook_endpoint_record_failure(*, endpoint_id, error: str, disable_after: int) -> None:
    """A delivery failed for good: count it, and turn the endpoint off at `disable_after`
    failures in a row. Called inside the delivery job's transaction."""
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
    if endpoint is None:
        return
    endpoint.consecutive_failures += 1
    fields = ["consecutive_failures"]
    if endpoint.active and endpoint.consecutive_failures >= disable_after:
        reason = f"Turned off after {endpoint.consecutive_failures} deliveries in a row failed (the last: {error})"
        turn_off(endpoint, reason[:299].rstrip(".") + ".")
        fields += ["active", "disabled_at", "disabled_reason"]
    endpoint.save(update_fields=fields)


def turn_off(endpoint: WebhookEndpoint, reason: str) -> None:
    endpoint.active, endpoint.disabled_at, endpoint.disabled_reason = False, timezone.now(), reason


def turn_on(endpoint: WebhookEndpoint) -> None:
    endpoint.active, endpoint.disabled_at, endpoint.disabled_reason = True, None, ""
    endpoint.consecutive_failures = 0
