"""Names a clinic admin reads in the admin: state only, no SQL."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0013_status_changes_need_the_app"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="membership",
            options={"ordering": ["organization__name"], "verbose_name": "member"},
        ),
        migrations.AlterModelOptions(
            name="organization",
            options={"ordering": ["name"], "verbose_name": "clinic"},
        ),
    ]
