"""A clinic's status (trial, active, suspended, closed), when it last changed and
why. Existing clinics are active, and so is a clinic inserted by SQL (database defaults).

And the purge job's one pre-tenant question: `tenancy_closed_clinics(closed_before)`,
the ids of clinics closed before that time, nothing else; each is then deleted in its
own tenant context. How it reads without a bypass: tenancy.operations.AddPreTenantFunction."""

from django.db import migrations, models

from tenancy.operations import AddPreTenantFunction

CLOSED_CLINICS = """
SELECT o.id FROM public.tenancy_organization o
 WHERE o.status = 'closed' AND o.status_changed_at < closed_before
"""


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0006_invitation_grants")]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="status",
            field=models.CharField(
                choices=[("trial", "Trial"), ("active", "Active"), ("suspended", "Suspended"), ("closed", "Closed")],
                default="active",
                db_default="active",
                editable=False,
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="organization",
            name="status_changed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="organization",
            name="status_reason",
            field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=500),
        ),
        AddPreTenantFunction(
            "tenancy_closed_clinics", "closed_before timestamptz", "SETOF uuid", CLOSED_CLINICS, ("organization",)
        ),
    ]
