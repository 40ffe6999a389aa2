"""Reading a clinic's status where it is the current tenant (its row is visible to
its own proven tenant context, nothing else is needed: no unscoped query)."""

from __future__ import annotations

from tenancy.context import current_org_id
from tenancy.models import Organization


def current_clinic() -> Organization | None:
    """The current tenant's clinic, read afresh (a suspension takes effect at once);
    None with no tenant, or a clinic gone."""
    org_id = current_org_id()
    if org_id is None:
        return None
    return Organization.objects.filter(pk=org_id).first()
