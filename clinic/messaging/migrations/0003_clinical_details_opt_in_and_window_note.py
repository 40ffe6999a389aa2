"""A clinic's opt-in to clinical details in texts (off: none), and the note that says
when the recipient's quiet hours made a confirmation request wait."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0002_text_retention"),
    ]

    operations = [
        migrations.AddField(
            model_name="confirmationrequest",
            name="window_note",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="smssettings",
            name="clinical_details",
            field=models.BooleanField(
                default=False,
                help_text="Allow placeholders that reveal clinical details (provider, specialty, type, notes).",
            ),
        ),
    ]
