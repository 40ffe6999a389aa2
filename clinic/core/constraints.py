"""Reading PostgreSQL's constraint violations out of Django's IntegrityError, for the
services that turn a constraint into a clear error rather than a 500."""

from __future__ import annotations

import psycopg
from django.db import IntegrityError


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint PostgreSQL reported, if any."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def is_exclusion_violation(exc: IntegrityError) -> bool:
    return isinstance(exc.__cause__, psycopg.errors.ExclusionViolation)
