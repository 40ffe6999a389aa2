import uuid

import django.db.models.deletion
from django.db import migrations, models

from tenancy.operations import tenant_table_operations


class Migration(migrations.Migration):
    initial = True

    dependencies = [("tenancy", "0002_row_level_security")]

    operations = [
        migrations.CreateModel(
            name="Ledger",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=100)),
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
                    models.UniqueConstraint(fields=("organization", "id"), name="tenant_app_ledger_org_id_uniq"),
                    models.UniqueConstraint(fields=("organization", "name"), name="tenant_app_ledger_org_name_uniq"),
                ],
            },
        ),
        migrations.CreateModel(
            name="Entry",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("amount", models.IntegerField()),
                (
                    "ledger",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="entries",
                        to="tenant_app.ledger",
                    ),
                ),
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
                    models.UniqueConstraint(fields=("organization", "id"), name="tenant_app_entry_org_id_uniq"),
                ],
            },
        ),
        *tenant_table_operations("ledger"),
        *tenant_table_operations("entry", foreign_keys=("ledger",)),
    ]
