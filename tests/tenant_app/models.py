from __future__ import annotations

from django.db import models

from tenancy.models import TenantModel


class Ledger(TenantModel):
    name = models.CharField(max_length=100)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organization", "name"], name="tenant_app_ledger_org_name_uniq"),
        ]


class Entry(TenantModel):
    ledger = models.ForeignKey(Ledger, on_delete=models.CASCADE, db_constraint=False, related_name="entries")
    amount = models.IntegerField()
