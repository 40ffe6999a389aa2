"""Pre-tenant lookups of the tenancy layer. Each maps one input to an organization id
and nothing else, through a SECURITY DEFINER function of a migration; everything
after it runs in that organization's tenant context."""

from __future__ import annotations

import uuid

from django.db import connections


def organization_id_for_slug(slug: str, *, using: str = "default") -> uuid.UUID | None:
    """The id of the organization with this slug (migration tenancy/0003), for operator
    commands that name a clinic by its slug. None if there is none."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT tenancy_organization_id_for_slug(%s)", [slug])
        return cursor.fetchone()[0]
