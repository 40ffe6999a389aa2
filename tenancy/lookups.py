"""Calling a pre-tenant lookup: the one narrow question a surface may ask before it
knows its clinic (which clinic owns this inbound number, this token's hash, this
slug). Each is a SECURITY DEFINER function of a migration that returns an
organization id or NULL, and nothing else; everything after it runs in that
organization's tenant context."""

from __future__ import annotations

import re
import uuid

from django.db import connections

_FUNCTION_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def organization_for(function: str, key: str, *, using: str = "default") -> uuid.UUID | None:
    if not _FUNCTION_NAME.match(function):
        raise ValueError(f"{function!r} is not a lookup function name.")
    if not key:
        return None
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [key])
        row = cursor.fetchone()
    return row[0] if row else None


def organization_id_for_slug(slug: str, *, using: str = "default") -> uuid.UUID | None:
    """The clinic with this slug (migration tenancy/0003), for operator commands that
    name a clinic by its slug. None if there is none."""
    return organization_for("tenancy_organization_id_for_slug", slug, using=using)
