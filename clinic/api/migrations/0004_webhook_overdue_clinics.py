"""The webhook tick's one pre-tenant question: which clinics have deliveries that lost
their job (pending, late for their attempt by more than the grace the caller passes,
and not in flight). `api_webhook_overdue_clinics(overdue_before)` returns clinic ids
and nothing else; the redelivery itself runs in each clinic's tenant context. How it
reads without a bypass: see tenancy.operations.AddPreTenantFunction."""

from django.db import migrations

from tenancy.operations import AddPreTenantFunction

OVERDUE_CLINICS = """
SELECT DISTINCT d.organization_id FROM public.api_webhookdelivery d
 WHERE d.status = 'pending' AND d.next_attempt_at < overdue_before
   AND (d.in_flight_until IS NULL OR d.in_flight_until < now())
"""


class Migration(migrations.Migration):
    dependencies = [("api", "0003_webhooks")]

    operations = [
        AddPreTenantFunction(
            "api_webhook_overdue_clinics",
            "overdue_before timestamptz",
            "SETOF uuid",
            OVERDUE_CLINICS,
            ("webhookdelivery",),
        )
    ]
