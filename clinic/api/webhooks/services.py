"""Registering, changing, turning off, deleting and testing webhook endpoints: the one
write path for them, used by the staff page, the admin and the API. Each runs in one
transaction inside the clinic's tenant context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from clinic.api.models import SUBSCRIBABLE_EVENT_TYPES, EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent
from clinic.api.webhooks import events, signing, targets
from clinic.api.webhooks.endpoint_state import turn_off, turn_on
from clinic.audit.trail import Action, record
from tenancy.context import current_org_id

ENDPOINT_FIELDS = frozenset({"url", "description", "event_types", "active"})


@transaction.atomic
def webhook_endpoint_create(
    *,
    url: str,
    description: str = "",
    event_types: Iterable[str] | None = None,
    created_by=None,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint of the current clinic, and its secret (shown to the caller once;
    pages and the API never show it again). Subscribed to every event unless told.
    A clinic has at most WEBHOOK_ENDPOINTS_MAX_PER_CLINIC endpoints."""
    _check_room_for_another()
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        url=_checked_url(url),
        description=description.strip(),
        event_types=_checked_event_types(SUBSCRIBABLE_EVENT_TYPES if event_types is None else event_types),
        secret=secret,
        created_by=created_by,
    )
    endpoint.claim_for_current_org()
    endpoint.full_clean()
    endpoint.save(force_insert=True)
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, changed_by=None, **fields) -> WebhookEndpoint:
    """Change the URL, description, events, or turn it off or on again (which forgets
    the failures that turned it off)."""
    unknown = set(fields) - ENDPOINT_FIELDS
    if unknown:
        raise TypeError(f"webhook_endpoint_update() cannot change {', '.join(sorted(unknown))}.")
    endpoint.refresh_from_db(from_queryset=WebhookEndpoint.objects.select_for_update())
    if "url" in fields:
        endpoint.url = _checked_url(fields["url"])
    if "description" in fields:
        endpoint.description = fields["description"].strip()
    if "event_types" in fields:
        endpoint.event_types = _checked_event_types(fields["event_types"])
    if "active" in fields and fields["active"] != endpoint.active:
        if fields["active"]:
            turn_on(endpoint)
        else:
            who = f" by {changed_by}" if changed_by is not None else ""
            turn_off(endpoint, f"Turned off{who}.")
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, overlap_hours: int | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new secret for the endpoint, returned to be shown once. The secret it replaces
    keeps signing beside it for `overlap_hours` (WEBHOOK_SECRET_ROTATION_HOURS unless
    given, at most WEBHOOK_SECRET_ROTATION_MAX_HOURS; 0 ends it at once, for a leaked
    secret), so the integrator can deploy the new one without dropping deliveries. A
    rotation during another forgets the oldest secret. Recorded in the audit trail."""
    overlap_hours = settings.WEBHOOK_SECRET_ROTATION_HOURS if overlap_hours is None else overlap_hours
    most = settings.WEBHOOK_SECRET_ROTATION_MAX_HOURS
    if isinstance(overlap_hours, bool) or not isinstance(overlap_hours, int) or not 0 <= overlap_hours <= most:
        message = f"The old secret may keep signing for 0 to {most} hours."
        raise ValidationError({"overlap_hours": ValidationError(message, code="overlap_out_of_range")})
    current = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
    if current is None:
        raise ValidationError("This webhook endpoint has been deleted.", code="endpoint_gone")
    secret = signing.new_secret()
    current.previous_secret, current.secret = current.secret, secret
    current.previous_secret_expires_at = timezone.now() + dt.timedelta(hours=overlap_hours)
    current.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    record(Action.WEBHOOK_SECRET_ROTATED, obj=current, changed_fields=("secret", "previous_secret_expires_at"))
    return current, secret


def webhook_data_prune(*, before: dt.datetime, now: dt.datetime, dry_run: bool = False, using: str = "default"):
    """The current clinic's retention (`manage.py messaging_prune`, as the owner role on
    `using`, in the clinic's tenant context): delete the deliveries and events made
    before `before`, and clear the replaced secrets whose rotation window ended by
    `now` (they sign nothing already). What was (or, `dry_run`, would be) removed, by
    name. Deliveries go first: an event's delete would cascade to them uncounted."""
    deliveries = WebhookDelivery.objects.using(using).filter(created_at__lt=before)
    events = WebhookEvent.objects.using(using).filter(created_at__lt=before)
    expired = (
        WebhookEndpoint.objects.using(using).exclude(previous_secret="").filter(previous_secret_expires_at__lte=now)
    )
    if dry_run:
        return {
            "webhook_deliveries_deleted": deliveries.count(),
            "webhook_events_deleted": events.count(),
            "webhook_secrets_cleared": expired.count(),
        }
    return {
        "webhook_deliveries_deleted": deliveries.delete()[0],
        "webhook_events_deleted": events.delete()[1].get(WebhookEvent._meta.label, 0),
        "webhook_secrets_cleared": expired.update(previous_secret="", previous_secret_expires_at=None),
    }


@transaction.atomic
def webhook_data_prune_due(*, now: dt.datetime, dry_run: bool = False, using: str = "default") -> dict[str, int]:
    """The webhook data past WEBHOOK_RETENTION_DAYS, pruned with the clinic's texts
    (registered with clinic.messaging.retention in ApiConfig.ready)."""
    before = now - dt.timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
    return webhook_data_prune(before=before, now=now, dry_run=dry_run, using=using)


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and its delivery log; deliveries still waiting are dropped."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


@transaction.atomic
def webhook_endpoint_ping(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a test event (`ping`) to this endpoint alone, once, without retries."""
    endpoint.refresh_from_db()
    if not endpoint.active:
        raise ValidationError("Turn the endpoint on before sending it a test event.", code="endpoint_off")
    event = events.emit(EventType.PING, lambda: {"endpoint": str(endpoint.pk)}, [endpoint.pk])
    return WebhookDelivery.objects.get(event=event, endpoint=endpoint)


def _check_room_for_another() -> None:
    """Refuse an endpoint over the clinic's limit. Creations of one clinic take turns
    (a lock for this transaction), so two at once cannot both take the last place."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('webhook-endpoints:' || %s))", [str(current_org_id())])
    check_room_for_another_endpoint()


def check_room_for_another_endpoint() -> None:
    """ValidationError if the current clinic has WEBHOOK_ENDPOINTS_MAX_PER_CLINIC
    endpoints already: each event is one delivery job per endpoint, so endpoints are
    what a clinic could multiply to tie the worker up. (Forms ask early; the service
    asks again under its lock.)"""
    limit = settings.WEBHOOK_ENDPOINTS_MAX_PER_CLINIC
    if WebhookEndpoint.objects.count() >= limit:
        message = f"This clinic has {limit} webhook endpoints, the most it may have; delete one before adding another."
        raise ValidationError({NON_FIELD_ERRORS: ValidationError(message, code="too_many_endpoints")})


def _checked_url(url: str) -> str:
    try:
        return targets.check_url(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from None


def _checked_event_types(event_types: Iterable[str]) -> list[str]:
    chosen = set(event_types)
    unknown = chosen - set(SUBSCRIBABLE_EVENT_TYPES)
    if unknown:
        allowed = ", ".join(SUBSCRIBABLE_EVENT_TYPES)
        raise ValidationError({"event_types": f"Unknown event {', '.join(sorted(unknown))}; choose from {allowed}."})
    if not chosen:
        raise ValidationError({"event_types": "Choose at least one event."})
    return [value for value in SUBSCRIBABLE_EVENT_TYPES if value in chosen]
