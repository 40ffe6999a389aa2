"""Calling a pre-tenant lookup: the one narrow question a surface may ask before it
knows its clinic (which clinic owns this inbound number, this token's hash). Each
is a SECURITY DEFINER function created by tenancy.operations.AddPreTenantLookup
that returns an organization id or NULL, and nothing else."""

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
