"""Busy calendars read from the provider's connected CalDAV calendar: an optional
composite tenant foreign key to the connection (ON DELETE CASCADE: removing the
connection removes the busy calendar and its busy times), and exactly one source per
busy calendar, its ICS URL or its connection."""

import django.db.models.deletion
from django.db import migrations, models

from tenancy.operations import AddTenantForeignKey


class Migration(migrations.Migration):
    dependencies = [
        ("calendars", "0003_busy_calendars"),
    ]

    operations = [
        migrations.AlterField(
            model_name="busycalendar",
            name="url",
            field=models.CharField(blank=True, max_length=2000),
        ),
        migrations.AddField(
            model_name="busycalendar",
            name="caldav_connection",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="busy_calendars",
                to="calendars.caldavconnection",
            ),
        ),
        migrations.AddIndex(
            model_name="busycalendar",
            index=models.Index(fields=["organization", "caldav_connection"], name="calendars_busycal_org_caldav"),
        ),
        migrations.AddConstraint(
            model_name="busycalendar",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("url", ""), ("caldav_connection__isnull", False)),
                    models.Q(models.Q(("url", ""), _negated=True), ("caldav_connection__isnull", True)),
                    _connector="OR",
                ),
                name="calendars_busycalendar_one_source",
            ),
        ),
        AddTenantForeignKey("busycalendar", "caldav_connection"),
    ]
