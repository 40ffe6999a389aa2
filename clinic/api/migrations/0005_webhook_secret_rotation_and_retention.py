"""Webhook secret rotation: the secret an endpoint's new one replaced, and when it
stops signing (clinic.api.webhooks.services.webhook_endpoint_rotate_secret).

And the retention command's pre-tenant question (`manage.py messaging_prune`):
`api_webhook_retention_clinics(created_before)` returns the ids of the clinics with
webhook events or deliveries made before it, or a replaced secret whose window is
over, and nothing else; the pruning itself runs in each clinic's tenant context. How
it reads without a bypass: see tenancy.operations.AddPreTenantFunction."""

from django.db import migrations, models

from tenancy.operations import AddPreTenantFunction

RETENTION_CLINICS = """
SELECT e.organization_id FROM public.api_webhookevent e WHERE e.created_at < created_before
UNION
SELECT d.organization_id FROM public.api_webhookdelivery d WHERE d.created_at < created_before
UNION
SELECT w.organization_id FROM public.api_webhookendpoint w
 WHERE w.previous_secret <> '' AND w.previous_secret_expires_at <= now()
"""


class Migration(migrations.Migration):
    dependencies = [("api", "0004_webhook_overdue_clinics")]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="previous_secret",
            field=models.CharField(blank=True, editable=False, max_length=100),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="previous_secret_expires_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        AddPreTenantFunction(
            "api_webhook_retention_clinics",
            "created_before timestamptz",
            "SETOF uuid",
            RETENTION_CLINICS,
            ("webhookevent", "webhookdelivery", "webhookendpoint"),
        ),
    ]
