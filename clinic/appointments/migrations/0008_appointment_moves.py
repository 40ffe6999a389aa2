"""Each appointment's moves (a new time or provider, with the old and the new): a
tenant table with row-level security and composite foreign keys."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from tenancy.operations import tenant_table_operations


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0007_patient_phone_shared_by_family"),
        ("tenancy", "0013_status_changes_need_the_app"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AppointmentMove",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("from_starts_at", models.DateTimeField()),
                ("from_ends_at", models.DateTimeField()),
                ("to_starts_at", models.DateTimeField()),
                ("to_ends_at", models.DateTimeField()),
                ("changed_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "via",
                    models.CharField(
                        choices=[
                            ("staff", "Staff pages"),
                            ("admin", "Admin"),
                            ("api", "API"),
                            ("sms", "SMS reply"),
                            ("link", "Confirmation link"),
                            ("system", "System"),
                        ],
                        default="staff",
                        max_length=10,
                    ),
                ),
                (
                    "appointment",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="moves",
                        to="appointments.appointment",
                    ),
                ),
                (
                    "changed_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "from_provider",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="appointments.provider",
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
                (
                    "to_provider",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="appointments.provider",
                    ),
                ),
            ],
            options={
                "ordering": ["changed_at"],
                "abstract": False,
                "base_manager_name": "objects",
                "indexes": [
                    models.Index(fields=["organization", "appointment", "changed_at"], name="appt_move_org_appt_idx")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "id"), name="appointments_appointmentmove_org_id_uniq"
                    )
                ],
            },
        ),
        *tenant_table_operations(
            "appointmentmove", foreign_keys=("appointment", "from_provider", "to_provider", "changed_by")
        ),
    ]
