"""Calendar connections: feeds and the clinic's calendar settings, both tenant tables
(RLS, tenant foreign keys); a feed's token hash declared a platform-wide key; and the
pre-tenant lookup `calendars_clinic_for_feed(hash)`: the sha256 of a feed link's token
-> the clinic id, only while the feed is not revoked; nothing else, and nothing at
all for a revoked or unknown link."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from tenancy.operations import AddPreTenantLookup, MarkPlatformUnique, tenant_table_operations


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("appointments", "0004_appointment_sequence"),
        ("tenancy", "0006_invitation_grants"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CalendarFeed",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
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
                ("token_hash", models.CharField(editable=False, max_length=64)),
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
                (
                    "provider",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        help_text="Empty: every provider of the clinic.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="calendar_feeds",
                        to="appointments.provider",
                    ),
                ),
            ],
            options={
                "verbose_name": "calendar feed",
                "ordering": ["-created_at"],
                "abstract": False,
                "base_manager_name": "objects",
                "indexes": [models.Index(fields=["organization", "created_at"], name="calendars_feed_org_created_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("organization", "id"), name="calendars_calendarfeed_org_id_uniq"),
                    models.UniqueConstraint(fields=("token_hash",), name="calendars_calendarfeed_token_uniq"),
                ],
            },
        ),
        migrations.CreateModel(
            name="CalendarSettings",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                (
                    "allow_patient_details",
                    models.BooleanField(
                        default=True, help_text="Let calendar feeds show patients' initials or full names."
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
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
                "verbose_name": "calendar settings",
                "verbose_name_plural": "calendar settings",
                "abstract": False,
                "base_manager_name": "objects",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "id"), name="calendars_calendarsettings_org_id_uniq"
                    ),
                    models.UniqueConstraint(fields=("organization",), name="calendars_calendarsettings_one_per_org"),
                ],
            },
        ),
        *tenant_table_operations("calendarfeed", foreign_keys=("provider", "created_by")),
        *tenant_table_operations("calendarsettings"),
        MarkPlatformUnique("calendarfeed", "calendars_calendarfeed_token_uniq"),
        AddPreTenantLookup("calendars_clinic_for_feed", "calendarfeed", "token_hash", where="t.revoked_at IS NULL"),
    ]
