"""API keys and the idempotency records of POST requests: both tenant tables.

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
