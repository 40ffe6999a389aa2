"""Reading a clinic's status where it is the current tenant (its row is visible to
its own proven tenant context, nothing else is needed: no unscoped query)."""

from __future__ import annotations

from tenancy.context import current_org_id
from tenancy.models import OPEN_STATUSES, Organization


def current_clinic_is_open() -> bool:
    """Whether the current tenant's clinic may send texts and event webhooks. No
    tenant, or a clinic gone, is not open (fail closed)."""
    org_id = current_org_id()
    if org_id is None:
        return False
    status = Organization.objects.filter(pk=org_id).values_list("status", flat=True).first()
    return status in OPEN_STATUSES
