"""API keys and idempotency records: tenant tables with row-level security and
composite foreign keys. The pre-tenant key lookup is migration 0002."""

import uuid

import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from tenancy.operations import tenant_table_operations


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("tenancy", "0002_row_level_security"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiKey",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                (
                    "name",
                    models.CharField(help_text="What the key is for, e.g. 'Website booking form'.", max_length=100),
                ),
                (
                    "scopes",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.CharField(choices=[("read", "Read"), ("write", "Write")], max_length=10),
                        default=list,
                        size=None,
                    ),
                ),
                ("prefix", models.CharField(editable=False, max_length=20)),
                ("hash", models.CharField(editable=False, max_length=64)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("last_used_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
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
                "verbose_name": "API key",
                "ordering": ["-created_at"],
                "abstract": False,
                "base_manager_name": "objects",
                "indexes": [
                    models.Index(fields=["hash"], name="api_apikey_hash_idx"),
                    models.Index(fields=["organization", "created_at"], name="api_apikey_org_created_idx"),
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("organization", "id"), name="api_apikey_org_id_uniq"),
                    models.UniqueConstraint(fields=("organization", "hash"), name="api_apikey_org_hash_uniq"),
                ],
            },
        ),
        migrations.CreateModel(
            name="IdempotencyRecord",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("caller", models.CharField(max_length=80)),
                ("key", models.CharField(max_length=255)),
                ("fingerprint", models.CharField(help_text="sha256 of method, path and body.", max_length=64)),
                ("response_status", models.PositiveSmallIntegerField(null=True)),
                ("response_body", models.JSONField(null=True)),
                ("response_location", models.CharField(blank=True, max_length=500)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
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
                "abstract": False,
                "base_manager_name": "objects",
                "indexes": [models.Index(fields=["organization", "created_at"], name="api_idem_org_created_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("organization", "id"), name="api_idempotencyrecord_org_id_uniq"),
                    models.UniqueConstraint(
                        fields=("organization", "caller", "key"), name="api_idempotencyrecord_org_caller_key_uniq"
                    ),
                ],
            },
        ),
        *tenant_table_operations("apikey", foreign_keys=("created_by",)),
        *tenant_table_operations("idempotencyrecord"),
    ]
