"""Invitations to join a clinic: a tenant table (RLS, tenant foreign keys), its
token hash declared a platform-wide key, and the pre-tenant lookup
`tenancy_invitation_for_token(hash)`: the sha256 of an invitation link's token -> the
clinic id, only while the invitation is pending (not accepted, not revoked, not
expired); nothing else, and nothing at all for a dead link."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from tenancy.operations import AddPreTenantLookup, MarkPlatformUnique, tenant_table_operations

PENDING = "t.accepted_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > now()"


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0004_proven_context"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Invitation",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("email", models.EmailField(max_length=254)),
                (
                    "role",
                    models.CharField(
                        choices=[("owner", "Owner"), ("admin", "Admin"), ("staff", "Staff")],
                        default="staff",
                        max_length=10,
                    ),
                ),
                ("token_hash", models.CharField(editable=False, max_length=64)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("expires_at", models.DateTimeField(editable=False)),
                ("accepted_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "accepted_by",
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
                    "invited_by",
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
                "ordering": ["-created_at"],
                "abstract": False,
                "base_manager_name": "objects",
                "indexes": [models.Index(fields=["organization", "created_at"], name="tenancy_inv_org_created_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("organization", "id"), name="tenancy_invitation_org_id_uniq"),
                    models.UniqueConstraint(fields=("token_hash",), name="tenancy_invitation_token_uniq"),
                    models.UniqueConstraint(
                        condition=models.Q(("accepted_at__isnull", True), ("revoked_at__isnull", True)),
                        fields=("organization", "email"),
                        name="tenancy_invitation_pending_email_uniq",
                    ),
                ],
            },
        ),
        *tenant_table_operations("invitation", foreign_keys=("invited_by", "accepted_by")),
        MarkPlatformUnique("invitation", "tenancy_invitation_token_uniq"),
        AddPreTenantLookup("tenancy_invitation_for_token", "invitation", "token_hash", where=PENDING),
    ]
