"""An appointment's change counter (calendar feeds publish it as SEQUENCE); existing rows
and rows inserted by SQL start at 0."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0003_patient_erasure"),
    ]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="sequence",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
    ]
