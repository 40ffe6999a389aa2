"""The voicemail events integrators may subscribe to: choices only."""

import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0005_webhook_secret_rotation_and_retention"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhookendpoint",
            name="event_types",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(
                    choices=[
                        ("appointment.created", "Appointment booked"),
                        ("appointment.updated", "Appointment changed"),
                        ("appointment.confirmed", "Appointment confirmed"),
                        ("appointment.cancelled", "Appointment cancelled"),
                        ("voicemail.received", "Voicemail received"),
                        ("voicemail.transcribed", "Voicemail transcribed"),
                    ],
                    max_length=40,
                ),
                default=list,
                help_text="The events sent to it (the services subscribe a new endpoint to all of them by default).",
                size=None,
            ),
        ),
        migrations.AlterField(
            model_name="webhookevent",
            name="type",
            field=models.CharField(
                choices=[
                    ("appointment.created", "Appointment booked"),
                    ("appointment.updated", "Appointment changed"),
                    ("appointment.confirmed", "Appointment confirmed"),
                    ("appointment.cancelled", "Appointment cancelled"),
                    ("voicemail.received", "Voicemail received"),
                    ("voicemail.transcribed", "Voicemail transcribed"),
                    ("ping", "Test event"),
                ],
                max_length=40,
            ),
        ),
    ]
