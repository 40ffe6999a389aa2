"""The audit trail: a tenant table with row-level security, append-only for the
runtime role (INSERT and SELECT only; tenancy.operations.MakeAppendOnly)."""

import uuid

import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from tenancy.operations import tenant_table_operations


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("tenancy", "0003_organization_id_for_slug"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("view", "Viewed"),
                            ("view_denied", "Asked for a record of no such id"),
                            ("create", "Created"),
                            ("update", "Changed"),
                            ("delete", "Deleted"),
                            ("export", "Exported"),
                            ("erase", "Erased"),
                            ("login", "Signed in"),
                            ("login_failed", "Failed sign-in"),
                            ("logout", "Signed out"),
                            ("clinic_switch", "Switched clinic"),
                            ("sms_sent", "Text sent"),
                            ("sms_received", "Text received"),
                            ("member_added", "Member added"),
                            ("role_changed", "Role changed"),
                            ("member_removed", "Member removed"),
                            ("api_key_created", "API key created"),
                            ("api_key_revoked", "API key revoked"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "actor_type",
                    models.CharField(
                        choices=[
                            ("user", "User"),
                            ("api_key", "API key"),
                            ("job", "Worker job"),
                            ("sms_webhook", "SMS webhook"),
                            ("system", "System"),
                        ],
                        max_length=12,
                    ),
                ),
                ("actor_user_id", models.UUIDField(blank=True, null=True)),
                ("actor_api_key_id", models.UUIDField(blank=True, null=True)),
                ("actor_label", models.CharField(blank=True, max_length=150)),
                ("object_type", models.CharField(blank=True, max_length=60)),
                ("object_id", models.UUIDField(blank=True, null=True)),
                ("patient_id", models.UUIDField(blank=True, null=True)),
                (
                    "changed_fields",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.CharField(max_length=60), blank=True, default=list, size=None
                    ),
                ),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                ("user_agent", models.CharField(blank=True, max_length=300)),
                ("request_id", models.CharField(blank=True, max_length=64)),
                (
                    "organization",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        editable=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="tenancy.organization",
                    ),
                ),
            ],
            options={
                "ordering": ["-at"],
                "abstract": False,
                "base_manager_name": "objects",
                "indexes": [
                    models.Index(fields=["organization", "at"], name="audit_event_org_at_idx"),
                    models.Index(fields=["organization", "patient_id", "at"], name="audit_event_org_patient_idx"),
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("organization", "id"), name="audit_auditevent_org_id_uniq")
                ],
            },
        ),
        *tenant_table_operations("auditevent", append_only=True),
    ]
