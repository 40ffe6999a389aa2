"""Patient erasure: an erased patient keeps a pseudonymised row (no birth date) for the appointments kept."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0002_status_change_via"),
    ]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="erased_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="patient",
            name="date_of_birth",
            field=models.DateField(null=True),
        ),
    ]
