"""Texts to and from patients, and the pruning of old ones."""

from django.db import models

from clinic.audit.actions import register


class AuditAction(models.TextChoices):
    SMS_SENT = "sms_sent", "Text sent"
    SMS_RECEIVED = "sms_received", "Text received"
    # `manage.py messaging_prune` (and voice's own pruning): what it removed is in
    # changed_fields, as counts.
    RETENTION_PRUNED = "retention_pruned", "Old texts and webhook data removed"


register("messaging", AuditAction)
