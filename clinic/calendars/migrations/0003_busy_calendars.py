"""Busy-time import: busy calendars and their busy intervals, both tenant tables (RLS,
composite tenant foreign keys to the provider and the calendar), the clinic's
`busy_conflicts` rule (refuse or warn), and the worker's one pre-tenant question
`calendars_busy_clinics()`: the ids of clinics with at least one busy calendar, nothing
else; each calendar is then fetched in its clinic's tenant context."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from tenancy.operations import AddPreTenantFunction, tenant_table_operations

BUSY_CLINICS = "SELECT DISTINCT c.organization_id FROM public.calendars_busycalendar c"


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0004_appointment_sequence"),
        ("calendars", "0002_caldav_connections"),
        ("tenancy", "0006_invitation_grants"),
    ]

    operations = [
        migrations.AddField(
            model_name="calendarsettings",
            name="busy_conflicts",
            field=models.CharField(
                choices=[("refuse", "Refuse the booking"), ("warn", "Book, and warn")],
                default="refuse",
                help_text="When a provider is busy in one of their busy calendars.",
                max_length=10,
            ),
        ),
        migrations.CreateModel(
            name="BusyCalendar",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=100)),
                ("url", models.CharField(max_length=2000)),
                (
                    "status",
                    models.CharField(
                        choices=[("pending", "Not fetched yet"), ("ok", "Up to date"), ("error", "Failing")],
                        default="pending",
                        editable=False,
                        max_length=10,
                    ),
                ),
                ("last_fetched_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("last_error", models.TextField(blank=True, editable=False)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
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
                        related_name="busy_calendars",
                        to="appointments.provider",
                    ),
                ),
            ],
            options={
                "verbose_name": "busy calendar",
                "ordering": ["name", "created_at"],
                "abstract": False,
                "base_manager_name": "objects",
            },
        ),
        migrations.CreateModel(
            name="BusyInterval",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("starts_at", models.DateTimeField()),
                ("ends_at", models.DateTimeField()),
                (
                    "busy_calendar",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="intervals",
                        to="calendars.busycalendar",
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
                        related_name="+",
                        to="appointments.provider",
                    ),
                ),
            ],
            options={
                "verbose_name": "busy interval",
                "ordering": ["starts_at"],
                "abstract": False,
                "base_manager_name": "objects",
            },
        ),
        migrations.AddIndex(
            model_name="busycalendar",
            index=models.Index(fields=["organization", "provider"], name="calendars_busycal_org_prov"),
        ),
        migrations.AddConstraint(
            model_name="busycalendar",
            constraint=models.UniqueConstraint(
                fields=("organization", "id"), name="calendars_busycalendar_org_id_uniq"
            ),
        ),
        migrations.AddIndex(
            model_name="busyinterval",
            index=models.Index(
                fields=["organization", "provider", "starts_at", "ends_at"], name="calendars_busy_org_prov_time"
            ),
        ),
        migrations.AddIndex(
            model_name="busyinterval",
            index=models.Index(fields=["organization", "busy_calendar"], name="calendars_busy_org_cal"),
        ),
        migrations.AddConstraint(
            model_name="busyinterval",
            constraint=models.UniqueConstraint(
                fields=("organization", "id"), name="calendars_busyinterval_org_id_uniq"
            ),
        ),
        migrations.AddConstraint(
            model_name="busyinterval",
            constraint=models.CheckConstraint(
                condition=models.Q(("ends_at__gt", models.F("starts_at"))),
                name="calendars_busyinterval_ends_after_start",
            ),
        ),
        *tenant_table_operations("busycalendar", foreign_keys=("provider",)),
        *tenant_table_operations("busyinterval", foreign_keys=("busy_calendar", "provider")),
        AddPreTenantFunction("calendars_busy_clinics", "", "SETOF uuid", BUSY_CLINICS, ("busycalendar",)),
    ]
