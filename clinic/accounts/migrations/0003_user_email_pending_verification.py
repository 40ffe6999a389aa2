"""Users who signed up on the public page and have not opened the emailed link yet."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_security_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_pending_verification",
            field=models.BooleanField(default=False, editable=False),
        ),
    ]
