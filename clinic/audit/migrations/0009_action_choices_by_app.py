"""The last migration of the audit app's actions: the field's choices become a callable
reading the actions each app declares (clinic.audit.actions), stored by name, so a new
action no longer needs a migration here. Choices only: nothing changes in the table,
and every stored value is still declared."""

from django.db import migrations, models

import clinic.audit.actions


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0008_voice_actions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(choices=clinic.audit.actions.action_choices, max_length=20),
        ),
    ]
