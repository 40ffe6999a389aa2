"""The opt-out list (per phone number and sender number) and the patients' consent
records: append-only tenant tables (INSERT and SELECT for the runtime role); the
clinic's consent wording in its SMS settings."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from tenancy.operations import tenant_table_operations


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0003_clinical_details_opt_in_and_window_note"),
        ("tenancy", "0013_status_changes_need_the_app"),
    ]

    operations = [
        migrations.AddField(
            model_name="smssettings",
            name="consent_wording",
            field=models.TextField(
                blank=True,
                default="I agree to receive appointment confirmation and reminder texts from the clinic at this number. Message frequency varies; message and data rates may apply. Reply STOP to opt out, HELP for help.",
                help_text="What a patient agrees to when they accept texts; kept with each consent record.",
                max_length=1000,
            ),
        ),
        migrations.CreateModel(
            name="SmsConsentRecord",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("patient_id", models.UUIDField()),
                ("consented", models.BooleanField()),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("staff", "Staff"),
                            ("api", "API"),
                            ("keyword", "Text reply (keyword)"),
                            ("link", "Confirmation page"),
                            ("import", "Import"),
                            ("system", "System"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "wording",
                    models.TextField(blank=True, help_text="The consent wording in force when consent was given."),
                ),
                ("note", models.CharField(blank=True, max_length=300)),
                ("actor_type", models.CharField(blank=True, max_length=12)),
                ("actor_user_id", models.UUIDField(blank=True, null=True)),
                ("actor_api_key_id", models.UUIDField(blank=True, null=True)),
                ("actor_label", models.CharField(blank=True, max_length=150)),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
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
                "ordering": ["at"],
                "abstract": False,
                "base_manager_name": "objects",
                "indexes": [models.Index(fields=["organization", "patient_id", "at"], name="msg_consent_patient_idx")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "id"), name="messaging_smsconsentrecord_org_id_uniq"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SmsOptOut",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("phone", models.CharField(help_text="The number in E.164.", max_length=32)),
                (
                    "sender_number",
                    models.CharField(help_text="The clinic's sender number it applies to.", max_length=32),
                ),
                (
                    "opted_out",
                    models.BooleanField(help_text="True: texts stop; False: an opt-in lifted an earlier opt-out."),
                ),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("keyword", "Replied with a keyword"),
                            ("staff", "Recorded by staff"),
                            ("api", "Through the API"),
                            ("import", "Imported"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "keyword",
                    models.CharField(blank=True, help_text="The word the number texted, if by keyword.", max_length=20),
                ),
                ("reason", models.CharField(blank=True, max_length=300)),
                ("actor_type", models.CharField(blank=True, max_length=12)),
                ("actor_user_id", models.UUIDField(blank=True, null=True)),
                ("actor_api_key_id", models.UUIDField(blank=True, null=True)),
                ("actor_label", models.CharField(blank=True, max_length=150)),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
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
                    models.Index(fields=["organization", "phone", "sender_number", "at"], name="msg_optout_number_idx")
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("organization", "id"), name="messaging_smsoptout_org_id_uniq")
                ],
            },
        ),
        *tenant_table_operations("smsconsentrecord", append_only=True),
        *tenant_table_operations("smsoptout", append_only=True),
    ]
