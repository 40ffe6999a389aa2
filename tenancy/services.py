"""Writes that span tenancy models."""

from __future__ import annotations

import uuid

from tenancy.context import tenant_context
from tenancy.models import Membership, Organization


def organization_create(*, name: str, slug: str, timezone: str, owner) -> Organization:
    """Create a clinic and make `owner` its owner, as the runtime role, with no bypass:
    the new id becomes the current tenant first, so the RLS policies accept both rows.

    Must run outside any other organization's tenant context (which refuses the switch)."""
    org = Organization(id=uuid.uuid4(), name=name, slug=slug, timezone=timezone)
    org.full_clean()
    with tenant_context(org=org.id, user=owner):
        org.save(force_insert=True)
        Membership.objects.create(organization=org, user=owner, role=Membership.Role.OWNER)
    return org
