"""Patients, providers, working hours, appointment types, appointments and their
status history: tenant tables with row-level security and composite foreign keys.

btree_gist lets the overlap exclusion constraints compare uuids with `=` in a GiST
index; pg_trgm backs the patient search index. `manage.py db_roles` creates both as
the superuser; here they are only checked for (the owner role may not create them)
and, being shared by the whole database, never dropped when this is unapplied."""

import uuid

import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
import django.contrib.postgres.indexes
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.postgres.operations import BtreeGistExtension, TrigramExtension
from django.db import migrations, models

from tenancy.operations import tenant_table_operations


class KeptBtreeGistExtension(BtreeGistExtension):
    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        pass


class KeptTrigramExtension(TrigramExtension):
    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        pass


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("tenancy", "0002_row_level_security"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        KeptBtreeGistExtension(),
        KeptTrigramExtension(),
        migrations.CreateModel(
            name="AppointmentType",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=100)),
                (
                    "default_duration",
                    models.PositiveSmallIntegerField(
                        help_text="Minutes.",
                        validators=[
                            django.core.validators.MinValueValidator(5),
                            django.core.validators.MaxValueValidator(480),
                        ],
                    ),
                ),
                (
                    "colour",
                    models.CharField(
                        default="#3b82f6",
                        max_length=7,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^#[0-9a-fA-F]{6}$", "Enter a colour as #rrggbb, e.g. #3b82f6.", code="invalid_colour"
                            )
                        ],
                    ),
                ),
                ("active", models.BooleanField(default=True, help_text="Inactive types cannot be booked.")),
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
                "ordering": ["name"],
                "abstract": False,
                "base_manager_name": "objects",
            },
        ),
        migrations.CreateModel(
            name="Patient",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("first_name", models.CharField(max_length=100)),
                ("last_name", models.CharField(max_length=100)),
                ("date_of_birth", models.DateField()),
                ("phone", models.CharField(help_text="Stored in E.164, e.g. +14155550123.", max_length=32)),
                ("email", models.EmailField(blank=True, max_length=254)),
                (
                    "sms_consent",
                    models.CharField(
                        choices=[("opted_in", "Opted in"), ("opted_out", "Opted out")],
                        default="opted_in",
                        max_length=10,
                    ),
                ),
                ("sms_consent_changed_at", models.DateTimeField(blank=True, null=True)),
                ("notes", models.TextField(blank=True)),
                ("search_name", models.CharField(default="", editable=False, max_length=201)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
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
                "ordering": ["last_name", "first_name"],
                "abstract": False,
                "base_manager_name": "objects",
            },
        ),
        migrations.CreateModel(
            name="Provider",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=200)),
                ("title", models.CharField(blank=True, help_text="Shown before the name, e.g. Dr.", max_length=50)),
                ("specialty", models.CharField(blank=True, max_length=100)),
                ("active", models.BooleanField(default=True, help_text="Inactive providers cannot be booked.")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
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
                "ordering": ["name"],
                "abstract": False,
                "base_manager_name": "objects",
            },
        ),
        migrations.CreateModel(
            name="Appointment",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("starts_at", models.DateTimeField()),
                ("ends_at", models.DateTimeField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("scheduled", "Scheduled"),
                            ("confirmed", "Confirmed"),
                            ("arrived", "Arrived"),
                            ("completed", "Completed"),
                            ("cancelled", "Cancelled"),
                            ("no_show", "No-show"),
                        ],
                        default="scheduled",
                        max_length=16,
                    ),
                ),
                ("notes", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("status_changed_at", models.DateTimeField(default=django.utils.timezone.now)),
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
                    "status_changed_by",
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
                    "appointment_type",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="appointments",
                        to="appointments.appointmenttype",
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="appointments",
                        to="appointments.patient",
                    ),
                ),
                (
                    "provider",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="appointments",
                        to="appointments.provider",
                    ),
                ),
            ],
            options={
                "ordering": ["starts_at"],
                "abstract": False,
                "base_manager_name": "objects",
            },
        ),
        migrations.CreateModel(
            name="WorkingHours",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                (
                    "weekday",
                    models.PositiveSmallIntegerField(
                        choices=[
                            (0, "Monday"),
                            (1, "Tuesday"),
                            (2, "Wednesday"),
                            (3, "Thursday"),
                            (4, "Friday"),
                            (5, "Saturday"),
                            (6, "Sunday"),
                        ]
                    ),
                ),
                ("starts", models.TimeField()),
                ("ends", models.TimeField()),
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
                        related_name="working_hours",
                        to="appointments.provider",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "working hours",
                "ordering": ["provider", "weekday"],
                "abstract": False,
                "base_manager_name": "objects",
            },
        ),
        migrations.CreateModel(
            name="AppointmentStatusChange",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                (
                    "from_status",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("scheduled", "Scheduled"),
                            ("confirmed", "Confirmed"),
                            ("arrived", "Arrived"),
                            ("completed", "Completed"),
                            ("cancelled", "Cancelled"),
                            ("no_show", "No-show"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "to_status",
                    models.CharField(
                        choices=[
                            ("scheduled", "Scheduled"),
                            ("confirmed", "Confirmed"),
                            ("arrived", "Arrived"),
                            ("completed", "Completed"),
                            ("cancelled", "Cancelled"),
                            ("no_show", "No-show"),
                        ],
                        max_length=16,
                    ),
                ),
                ("changed_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "appointment",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="status_changes",
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
                "ordering": ["changed_at"],
                "abstract": False,
                "base_manager_name": "objects",
                "indexes": [
                    models.Index(fields=["organization", "appointment", "changed_at"], name="appt_status_org_appt_idx")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "id"), name="appointments_appointmentstatuschange_org_id_uniq"
                    )
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="appointmenttype",
            constraint=models.UniqueConstraint(
                fields=("organization", "id"), name="appointments_appointmenttype_org_id_uniq"
            ),
        ),
        migrations.AddConstraint(
            model_name="appointmenttype",
            constraint=models.UniqueConstraint(
                fields=("organization", "name"),
                name="appointments_appointmenttype_org_name_uniq",
                violation_error_message="This clinic already has an appointment type with this name.",
            ),
        ),
        migrations.AddConstraint(
            model_name="appointmenttype",
            constraint=models.CheckConstraint(
                condition=models.Q(("default_duration__gte", 5), ("default_duration__lte", 480)),
                name="appointments_appointmenttype_duration_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="appointmenttype",
            constraint=models.CheckConstraint(
                condition=models.Q(("colour__regex", "^#[0-9a-f]{6}$")), name="appointments_appointmenttype_colour_hex"
            ),
        ),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(fields=["organization", "last_name", "first_name"], name="appt_patient_org_name_idx"),
        ),
        migrations.AddIndex(
            model_name="patient",
            index=django.contrib.postgres.indexes.GistIndex(
                fields=["organization", "search_name"],
                name="appt_patient_search_trgm_idx",
                opclasses=["gist_uuid_ops", "gist_trgm_ops"],
            ),
        ),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.UniqueConstraint(fields=("organization", "id"), name="appointments_patient_org_id_uniq"),
        ),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.UniqueConstraint(
                fields=("organization", "phone"),
                name="appointments_patient_org_phone_uniq",
                violation_error_code="phone_taken",
                violation_error_message="Another patient of this clinic already has this phone number.",
            ),
        ),
        migrations.AddIndex(
            model_name="provider",
            index=models.Index(fields=["organization", "name"], name="appt_provider_org_name_idx"),
        ),
        migrations.AddConstraint(
            model_name="provider",
            constraint=models.UniqueConstraint(fields=("organization", "id"), name="appointments_provider_org_id_uniq"),
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(fields=["organization", "starts_at"], name="appt_appt_org_starts_idx"),
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(fields=["organization", "provider", "starts_at"], name="appt_appt_org_provider_idx"),
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(fields=["organization", "patient", "starts_at"], name="appt_appt_org_patient_idx"),
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(fields=["organization", "appointment_type"], name="appt_appt_org_type_idx"),
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.UniqueConstraint(
                fields=("organization", "id"), name="appointments_appointment_org_id_uniq"
            ),
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.CheckConstraint(
                condition=models.Q(("ends_at__gt", models.F("starts_at"))),
                name="appointments_appointment_ends_after_start",
                violation_error_message="An appointment must end after it starts.",
            ),
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                condition=models.Q(("status__in", ["cancelled", "no_show"]), _negated=True),
                expressions=[
                    ("organization", "="),
                    ("provider", "="),
                    (
                        models.Func(
                            "starts_at",
                            "ends_at",
                            django.contrib.postgres.fields.ranges.RangeBoundary(),
                            function="TSTZRANGE",
                            output_field=django.contrib.postgres.fields.ranges.DateTimeRangeField(),
                        ),
                        "&&",
                    ),
                ],
                name="appointments_appointment_no_provider_overlap",
                violation_error_code="provider_overlap",
                violation_error_message="The provider already has an appointment at this time.",
            ),
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                condition=models.Q(("status__in", ["cancelled", "no_show"]), _negated=True),
                expressions=[
                    ("organization", "="),
                    ("patient", "="),
                    (
                        models.Func(
                            "starts_at",
                            "ends_at",
                            django.contrib.postgres.fields.ranges.RangeBoundary(),
                            function="TSTZRANGE",
                            output_field=django.contrib.postgres.fields.ranges.DateTimeRangeField(),
                        ),
                        "&&",
                    ),
                ],
                name="appointments_appointment_no_patient_overlap",
                violation_error_code="patient_overlap",
                violation_error_message="The patient already has an appointment at this time.",
            ),
        ),
        migrations.AddConstraint(
            model_name="workinghours",
            constraint=models.UniqueConstraint(
                fields=("organization", "id"), name="appointments_workinghours_org_id_uniq"
            ),
        ),
        migrations.AddConstraint(
            model_name="workinghours",
            constraint=models.UniqueConstraint(
                fields=("organization", "provider", "weekday"),
                name="appointments_workinghours_one_per_day",
                violation_error_message="This provider already has working hours on that weekday.",
            ),
        ),
        migrations.AddConstraint(
            model_name="workinghours",
            constraint=models.CheckConstraint(
                condition=models.Q(("starts__lt", models.F("ends"))),
                name="appointments_workinghours_starts_before_ends",
                violation_error_message="Working hours must end after they start.",
            ),
        ),
        migrations.AddConstraint(
            model_name="workinghours",
            constraint=models.CheckConstraint(
                condition=models.Q(("weekday__gte", 0), ("weekday__lte", 6)),
                name="appointments_workinghours_weekday_range",
            ),
        ),
        *tenant_table_operations("patient"),
        *tenant_table_operations("provider"),
        *tenant_table_operations("workinghours", foreign_keys=("provider",)),
        *tenant_table_operations("appointmenttype"),
        *tenant_table_operations(
            "appointment", foreign_keys=("patient", "provider", "appointment_type", "status_changed_by")
        ),
        *tenant_table_operations("appointmentstatuschange", foreign_keys=("appointment", "changed_by")),
    ]
