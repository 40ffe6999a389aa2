"""The audit trail: who viewed, changed, exported or erased what, and when.

Append-only in PostgreSQL (migration 0001, tenancy.operations.MakeAppendOnly): the
runtime role may INSERT and SELECT its rows, never UPDATE, DELETE or TRUNCATE them,
and row-level security scopes it to one clinic like every tenant table. Only the
retention command, as the owner role, removes events older than the retention period."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from tenancy.models import TenantModel


class AuditEvent(TenantModel):
    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        VIEW_DENIED = "view_denied", "Asked for a record of no such id"
        CREATE = "create", "Created"
        UPDATE = "update", "Changed"
        DELETE = "delete", "Deleted"
        EXPORT = "export", "Exported"
        ERASE = "erase", "Erased"
        LOGIN = "login", "Signed in"
        LOGIN_FAILED = "login_failed", "Failed sign-in"
        LOGOUT = "logout", "Signed out"
        CLINIC_SWITCH = "clinic_switch", "Switched clinic"
        SMS_SENT = "sms_sent", "Text sent"
        SMS_RECEIVED = "sms_received", "Text received"
        MEMBER_ADDED = "member_added", "Member added"
        ROLE_CHANGED = "role_changed", "Role changed"
        MEMBER_REMOVED = "member_removed", "Member removed"
        API_KEY_CREATED = "api_key_created", "API key created"
        API_KEY_REVOKED = "api_key_revoked", "API key revoked"
        TWO_FACTOR_ON = "two_factor_on", "Two-factor sign-in turned on"
        TWO_FACTOR_OFF = "two_factor_off", "Two-factor sign-in turned off"
        RECOVERY_CODES = "recovery_codes", "New recovery codes"
        TWO_FACTOR_RESET = "two_factor_reset", "Two-factor sign-in removed by an operator"
        FEED_CREATED = "feed_created", "Calendar feed created"
        FEED_REVOKED = "feed_revoked", "Calendar feed revoked"
        # A calendar feed showing patients' initials or names was fetched by its link.
        FEED_FETCHED = "feed_fetched", "Calendar feed fetched"
        CALDAV_CONNECTED = "caldav_connected", "CalDAV calendar connected"
        CALDAV_RECONNECTED = "caldav_reconnected", "CalDAV calendar reconnected"
        CALDAV_REMOVED = "caldav_removed", "CalDAV calendar removed"
        BUSY_CALENDAR_ADDED = "busy_added", "Busy calendar added"
        BUSY_CALENDAR_REMOVED = "busy_removed", "Busy calendar removed"
        # The clinic's lifecycle (clinic.lifecycle.services): the reason is on the clinic.
        CLINIC_CREATED = "clinic_created", "Clinic created"
        CLINIC_SUSPENDED = "clinic_suspended", "Clinic suspended"
        CLINIC_REACTIVATED = "clinic_reactivated", "Clinic reactivated"
        CLINIC_CLOSED = "clinic_closed", "Clinic closed"
        CLINIC_ACTIVATED = "clinic_activated", "Trial ended: clinic active"
        WEBHOOK_SECRET_ROTATED = "webhook_rotated", "Webhook secret rotated"
        # `manage.py messaging_prune`: what it removed is in changed_fields, as counts.
        RETENTION_PRUNED = "retention_pruned", "Old texts and webhook data removed"
        # Patients' calls (clinic.voice): a voicemail stored by the worker, listened to
        # (like viewing a patient: the patient is named when the caller was matched), handled.
        VOICEMAIL_RECEIVED = "voicemail_received", "Voicemail received"
        VOICEMAIL_PLAYED = "voicemail_played", "Voicemail listened to"
        VOICEMAIL_HANDLED = "voicemail_handled", "Voicemail marked handled"

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
    action = models.CharField(max_length=20, choices=Action.choices)
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
