"""How long a clinic keeps its texts' words (SmsSettings.text_retention_days), and the
retention command's pre-tenant question (`manage.py messaging_prune`):
`messaging_retention_clinics(created_before)` returns the ids of the clinics with a
text made before it that still has its body, or an unmatched inbound text, and
nothing else; each clinic's own period is applied in its tenant context. How it reads
without a bypass: see tenancy.operations.AddPreTenantFunction."""

import django.core.validators
from django.db import migrations, models

from tenancy.operations import AddPreTenantFunction

RETENTION_CLINICS = """
SELECT DISTINCT m.organization_id FROM public.messaging_smsmessage m
 WHERE m.created_at < created_before
   AND (m.body <> '' OR (m.direction = 'in' AND m.patient_id IS NULL))
"""


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="smssettings",
            name="text_retention_days",
            field=models.PositiveIntegerField(
                default=365,
                help_text="Days a text's words are kept; then the log keeps only who, when and its status.",
                validators=[django.core.validators.MinValueValidator(30)],
            ),
        ),
        AddPreTenantFunction(
            "messaging_retention_clinics",
            "created_before timestamptz",
            "SETOF uuid",
            RETENTION_CLINICS,
            ("smsmessage",),
        ),
    ]
