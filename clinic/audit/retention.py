"""Removing audit events older than the retention period: the only way an event
is ever deleted. Runs as the owner role, through the retention policies that
tenancy.operations.MakeAppendOnly gives the owner alone; the runtime role has no
DELETE on the table at all."""

from __future__ import annotations

import datetime as dt

from django.db import connections, transaction
from django.utils import timezone

from clinic.audit.models import AuditEvent
from tenancy.database import OWNER_ALIAS
from tenancy.operations import APPEND_ONLY_PRUNE_SETTING


def retention_cutoff(days: int, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=days)


def prune(before: dt.datetime, *, using: str = OWNER_ALIAS) -> int:
    """Delete every clinic's events recorded before `before`; returns how many."""
    table = connections[using].ops.quote_name(AuditEvent._meta.db_table)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [APPEND_ONLY_PRUNE_SETTING, before.isoformat()])
        cursor.execute(f"DELETE FROM {table} WHERE at < %s", [before])  # noqa: S608
        deleted = cursor.rowcount
        cursor.execute("SELECT set_config(%s, '', true)", [APPEND_ONLY_PRUNE_SETTING])
    return deleted
