"""CalDAV connections: a provider's calendar collection the clinic pushes appointments
to (its password encrypted by the app), and one row per appointment pushed to it.
Both tenant tables (RLS, tenant foreign keys). And one pre-tenant function for the
credentials rotation command: `calendars_caldav_clinics()` -> the ids of the clinics
that have CalDAV connections; nothing else (the rotation runs in each one's tenant
context)."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from tenancy.operations import AddPreTenantFunction, tenant_table_operations


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0004_appointment_sequence"),
        ("calendars", "0001_initial"),
        ("tenancy", "0006_invitation_grants"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CalDAVConnection",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("url", models.URLField(max_length=500, verbose_name="calendar URL")),
                ("username", models.CharField(max_length=200)),
                ("password_encrypted", models.TextField(editable=False)),
                (
                    "privacy",
                    models.CharField(
                        choices=[
                            ("busy", "Busy only"),
                            ("type", "Appointment type and time"),
                            ("initials", "Type, time and patient initials"),
                            ("names", "Type, time and patient full names"),
                        ],
                        default="type",
                        max_length=10,
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("ok", "Working"), ("broken", "Broken")], default="ok", editable=False, max_length=10
                    ),
                ),
                ("last_error", models.CharField(blank=True, editable=False, max_length=300)),
                ("consecutive_failures", models.PositiveIntegerField(default=0, editable=False)),
                ("last_success_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
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
                (
                    "provider",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="caldav_connections",
                        to="appointments.provider",
                    ),
                ),
            ],
            options={
                "verbose_name": "CalDAV connection",
                "ordering": ["-created_at"],
                "abstract": False,
                "base_manager_name": "objects",
            },
        ),
        migrations.CreateModel(
            name="CalDAVEvent",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("etag", models.CharField(blank=True, max_length=200)),
                ("sequence", models.PositiveIntegerField(default=0)),
                ("pushed_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "appointment",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="caldav_events",
                        to="appointments.appointment",
                    ),
                ),
                (
                    "connection",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="calendars.caldavconnection",
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
                "verbose_name": "CalDAV event",
                "abstract": False,
                "base_manager_name": "objects",
            },
        ),
        migrations.AddIndex(
            model_name="caldavconnection",
            index=models.Index(fields=["organization", "provider"], name="calendars_caldav_provider_idx"),
        ),
        migrations.AddConstraint(
            model_name="caldavconnection",
            constraint=models.UniqueConstraint(
                fields=("organization", "id"), name="calendars_caldavconnection_org_id_uniq"
            ),
        ),
        migrations.AddConstraint(
            model_name="caldavconnection",
            constraint=models.UniqueConstraint(
                fields=("organization", "provider", "url"), name="calendars_caldavconnection_one_per_calendar"
            ),
        ),
        migrations.AddIndex(
            model_name="caldavevent",
            index=models.Index(fields=["organization", "appointment"], name="calendars_caldavev_appt_idx"),
        ),
        migrations.AddConstraint(
            model_name="caldavevent",
            constraint=models.UniqueConstraint(fields=("organization", "id"), name="calendars_caldavevent_org_id_uniq"),
        ),
        migrations.AddConstraint(
            model_name="caldavevent",
            constraint=models.UniqueConstraint(
                fields=("organization", "connection", "appointment"), name="calendars_caldavevent_one_per_calendar"
            ),
        ),
        *tenant_table_operations("caldavconnection", foreign_keys=("provider", "created_by")),
        *tenant_table_operations("caldavevent", foreign_keys=("connection", "appointment")),
        AddPreTenantFunction(
            "calendars_caldav_clinics",
            "",
            "SETOF uuid",
            "SELECT DISTINCT c.organization_id FROM public.calendars_caldavconnection c",
            ("caldavconnection",),
        ),
    ]
