"""JobSlot: a clinic's places for running jobs of one kind at once (tenancy.job_slots),
a tenant table with row-level security like any other: a job claims and releases its
clinic's slots in that clinic's tenant context."""

import uuid

import django.db.models.deletion
from django.db import migrations, models

from tenancy.operations import tenant_table_operations


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0011_organization_status_clock"),
    ]

    operations = [
        migrations.CreateModel(
            name="JobSlot",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("kind", models.CharField(editable=False, max_length=40)),
                ("slot", models.PositiveSmallIntegerField(editable=False)),
                ("holder", models.UUIDField(editable=False)),
                ("held_until", models.DateTimeField(editable=False)),
                (
                    "organization",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        editable=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="tenancy.organization",
                    ),
                ),
            ],
            options={
                "abstract": False,
                "base_manager_name": "objects",
                "constraints": [
                    models.UniqueConstraint(fields=("organization", "id"), name="tenancy_jobslot_org_id_uniq"),
                    models.UniqueConstraint(
                        fields=("organization", "kind", "slot"), name="tenancy_jobslot_kind_slot_uniq"
                    ),
                ],
            },
        ),
        *tenant_table_operations("jobslot"),
    ]
