"""Reading a clinic's status where it is the current tenant (its row is visible to
its own proven tenant context, nothing else is needed: no unscoped query)."""

from __future__ import annotations

from clinic.lifecycle.status import Surface, allows, grace_ends_at
from tenancy.context import current_org_id
from tenancy.models import Membership, Organization


def current_clinic() -> Organization | None:
    """The current tenant's clinic, read afresh (a suspension takes effect at once);
    None with no tenant, or a clinic gone."""
    org_id = current_org_id()
    if org_id is None:
        return None
    return Organization.objects.filter(pk=org_id).first()


def closed_clinics_offered(memberships: list[Membership]) -> list[tuple[Membership, object]]:
    """The closed clinics whose export the user (their owner) may still download,
    with when that ends: for the picker."""
    return [
        (membership, grace_ends_at(membership.organization))
        for membership in memberships
        if membership.role == Membership.Role.OWNER and export_offered(membership.organization)
    ]


def export_offered(clinic: Organization) -> bool:
    """The export page is a closed clinic's (an open one's owners export patients from
    its pages); the status rule says whether its export is still allowed."""
    return clinic.status == Organization.Status.CLOSED and allows(clinic, Surface.EXPORT)
