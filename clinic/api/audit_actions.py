"""API keys and webhook endpoints."""

from django.db import models

from clinic.audit.actions import register


class AuditAction(models.TextChoices):
    API_KEY_CREATED = "api_key_created", "API key created"
    API_KEY_REVOKED = "api_key_revoked", "API key revoked"
    WEBHOOK_SECRET_ROTATED = "webhook_rotated", "Webhook secret rotated"


register("api", AuditAction)
