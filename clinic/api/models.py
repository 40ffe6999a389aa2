"""API keys, the idempotency records of POST requests, and the event webhooks
(endpoints, the events outbox, deliveries): all tenant tables.

An API key is found before any tenant is set through one narrow SECURITY DEFINER
function, `api_key_lookup(hash)` (migration 0001): it maps the sha256 of a presented
key to the key's id, clinic, scopes and whether it is revoked, and nothing else."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from tenancy.models import TenantModel


class ApiKey(TenantModel):
    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Write"

    READ_WRITE = (Scope.READ, Scope.WRITE)
    READ_ONLY = (Scope.READ,)

    name = models.CharField(max_length=100, help_text="What the key is for, e.g. 'Website booking form'.")
    scopes = ArrayField(models.CharField(max_length=10, choices=Scope.choices), default=list)
    # The first characters of the key, shown in lists; never enough to use it.
    prefix = models.CharField(max_length=20, editable=False)
    # sha256 of the whole key (hex). The key itself is shown once and never stored.
    hash = models.CharField(max_length=64, editable=False)
    # As Appointment.status_changed_by: the database sets it to NULL when the user
    # is deleted (ON DELETE SET NULL, added by the migration).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = "API key"
        ordering = ["-created_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organization", "hash"], name="api_apikey_org_hash_uniq"),
        ]
        indexes = [
            # The pre-tenant lookup finds a key by its hash alone.
            models.Index(fields=["hash"], name="api_apikey_hash_idx"),
            models.Index(fields=["organization", "created_at"], name="api_apikey_org_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_read_only(self) -> bool:
        return self.Scope.WRITE not in self.scopes

    @property
    def scope_label(self) -> str:
        return "read only" if self.is_read_only else "read and write"


class IdempotencyRecord(TenantModel):
    """The first response to a POST carrying an `Idempotency-Key`, replayed when the
    same caller sends the same key with the same request again (for 24 hours).

    `caller` names the API key or user that sent it: two integrators of one clinic
    never share keys."""

    caller = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="sha256 of method, path and body.")
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    response_location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organization", "caller", "key"], name="api_idempotencyrecord_org_caller_key_uniq"
            ),
        ]
        indexes = [models.Index(fields=["organization", "created_at"], name="api_idem_org_created_idx")]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"


# --- Outbound event webhooks --------------------------------------------------------


class EventType(models.TextChoices):
    """What an endpoint may subscribe to, and the test event (`ping`, sent on request)."""

    APPOINTMENT_CREATED = "appointment.created", "Appointment booked"
    APPOINTMENT_UPDATED = "appointment.updated", "Appointment changed"
    APPOINTMENT_CONFIRMED = "appointment.confirmed", "Appointment confirmed"
    APPOINTMENT_CANCELLED = "appointment.cancelled", "Appointment cancelled"
    VOICEMAIL_RECEIVED = "voicemail.received", "Voicemail received"
    VOICEMAIL_TRANSCRIBED = "voicemail.transcribed", "Voicemail transcribed"
    PING = "ping", "Test event"


SUBSCRIBABLE_EVENT_TYPES = tuple(value for value in EventType.values if value != EventType.PING)


class WebhookEndpoint(TenantModel):
    """A URL of an integrator that receives the clinic's events, signed with the
    endpoint's own secret (Standard Webhooks). The secret is kept as it is, because
    the worker signs with it; it is shown once, when the endpoint is created.

    While an integrator rotates the secret, the one it replaced still signs too, until
    `previous_secret_expires_at` (decided at each delivery: nothing needs to run when
    it passes). It is stored like the current one, for the same reason, and cleared by
    the next rotation or `manage.py messaging_prune`."""

    url = models.URLField(max_length=500, help_text="Where the events are POSTed (https).")
    description = models.CharField(max_length=200, blank=True)
    event_types = ArrayField(
        models.CharField(max_length=40, choices=[(v, EventType(v).label) for v in SUBSCRIBABLE_EVENT_TYPES]),
        default=list,
        help_text="The events sent to it (the services subscribe a new endpoint to all of them by default).",
    )
    # "whsec_" + base64 of 32 random bytes.
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    # Deliveries that failed for good since the last one that succeeded.
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = "webhook endpoint"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "created_at"], name="api_webhookendpoint_org_idx")]

    def __str__(self) -> str:
        return self.url

    @property
    def event_type_labels(self) -> list[str]:
        return [EventType(value).label for value in self.event_types]

    def signing_secrets(self, now) -> list[str]:
        """The secrets a delivery signed at `now` is signed with: the current one, and
        the one it replaced while that is still within its rotation window."""
        if self.previous_secret and self.previous_secret_expires_at and now < self.previous_secret_expires_at:
            return [self.secret, self.previous_secret]
        return [self.secret]

    @property
    def rotation_ends_at(self):
        """While a rotation is under way, when the replaced secret stops signing; else None."""
        now = timezone.now()
        return self.previous_secret_expires_at if len(self.signing_secrets(now)) > 1 else None


class WebhookEvent(TenantModel):
    """The outbox: one row per event, written in the transaction of the change it
    reports. `payload` is the JSON body every delivery of it sends, byte for byte, so a
    retry is signed over the same bytes."""

    type = models.CharField(max_length=40, choices=EventType.choices)
    payload = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = "webhook event"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "created_at"], name="api_webhookevent_org_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"

    @property
    def public_id(self) -> str:
        """The id integrators see (the payload's `id`, the `webhook-id` header)."""
        return f"evt_{self.id.hex}"


class WebhookDelivery(TenantModel):
    """One event to one endpoint: tried until it succeeds or runs out of attempts."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed"

    event = models.ForeignKey(
        WebhookEvent, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="deliveries"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="deliveries"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker is calling the endpoint: another worker leaves the delivery be.
    in_flight_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organization", "event", "endpoint"], name="api_webhookdelivery_event_endpoint_uniq"
            ),
        ]
        indexes = [
            # The endpoint's delivery log, newest first.
            models.Index(fields=["organization", "endpoint", "-created_at", "-id"], name="api_delivery_log_idx"),
            models.Index(
                fields=["organization", "next_attempt_at"],
                condition=models.Q(status="pending"),
                name="api_delivery_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"
