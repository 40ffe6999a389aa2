"""The audit trail: who viewed, changed, exported or erased what, and when.

Append-only in PostgreSQL (migration 0001, tenancy.operations.MakeAppendOnly): the
runtime role may INSERT and SELECT its rows, never UPDATE, DELETE or TRUNCATE them,
and row-level security scopes it to one clinic like every tenant table. Only the
retention command, as the owner role, removes events older than the retention period."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from clinic.audit import actions
from clinic.audit.actions import ACTIONS
from tenancy.models import TenantModel


class AuditEvent(TenantModel):
    # Each app declares the actions it records (clinic.audit.actions); this reads them
    # all by name, as `AuditEvent.Action.LOGIN`.
    Action = ACTIONS

    class Actor(models.TextChoices):
        USER = "user", "User"
        API_KEY = "api_key", "API key"
        JOB = "job", "Worker job"
        SMS_WEBHOOK = "sms_webhook", "SMS webhook"
        CALL_WEBHOOK = "call_webhook", "Call webhook"
        FEED = "feed", "Calendar feed link"
        SYSTEM = "system", "System"

    tenant_append_only = True

    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=actions.MAX_LENGTH, choices=actions.action_choices)
    actor_type = models.CharField(max_length=12, choices=Actor.choices)
    # No foreign keys: an event outlives the user, key or record it names (a
    # deleted patient keeps the trail of who deleted them), and a cascade or SET
    # NULL would be an UPDATE or DELETE the runtime role may not make.
    actor_user_id = models.UUIDField(null=True, blank=True)
    actor_api_key_id = models.UUIDField(null=True, blank=True)
    # The username or key name at the time: readable after the user or key is gone.
    actor_label = models.CharField(max_length=150, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.UUIDField(null=True, blank=True)
    patient_id = models.UUIDField(null=True, blank=True)
    # Names of the fields a change touched, never their (clinical) values.
    changed_fields = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["organization", "at"], name="audit_event_org_at_idx"),
            models.Index(fields=["organization", "patient_id", "at"], name="audit_event_org_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_type} by {self.actor_label or self.actor_type}"

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only; the retention command prunes old ones.")
