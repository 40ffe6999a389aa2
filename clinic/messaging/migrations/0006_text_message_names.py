"""Names a clinic admin reads in the admin: state only, no SQL."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0005_default_template_fits_one_segment"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="smsconsentrecord",
            options={"base_manager_name": "objects", "ordering": ["at"], "verbose_name": "text consent record"},
        ),
        migrations.AlterModelOptions(
            name="smsmessage",
            options={"base_manager_name": "objects", "ordering": ["-created_at"], "verbose_name": "text message"},
        ),
        migrations.AlterModelOptions(
            name="smsoptout",
            options={"base_manager_name": "objects", "ordering": ["-at"], "verbose_name": "text opt-out"},
        ),
        migrations.AlterModelOptions(
            name="smssettings",
            options={
                "base_manager_name": "objects",
                "verbose_name": "text message settings",
                "verbose_name_plural": "text message settings",
            },
        ),
    ]
