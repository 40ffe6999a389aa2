"""A patient's own time zone (optional): quiet hours for texts are read in it."""

from django.db import migrations, models

import tenancy.models


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0005_patient_search_prefix"),
    ]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="timezone",
            field=models.CharField(
                blank=True,
                help_text="IANA time zone, e.g. America/New_York. Empty: taken from the phone number.",
                max_length=64,
                validators=[tenancy.models.validate_timezone],
            ),
        ),
    ]
