"""Remove audit events older than AUDIT_RETENTION_DAYS (or --days), as the owner role:
the only way an event is ever deleted. The owner deletes through the retention
policies that tenancy.operations.MakeAppendOnly gives it alone, which show only rows
older than the cutoff this command sets for its one statement; the runtime role has
no DELETE on the table at all."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from django.utils import timezone

from clinic.audit.models import AuditEvent
from tenancy.context import set_transaction_settings
from tenancy.database import OWNER_ALIAS
from tenancy.operations import APPEND_ONLY_PRUNE_SETTING


def retention_cutoff(days: int, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=days)


def prune(before: dt.datetime) -> int:
    """Delete every clinic's events recorded before `before`; returns how many."""
    table = connections[OWNER_ALIAS].ops.quote_name(AuditEvent._meta.db_table)
    with transaction.atomic(using=OWNER_ALIAS), connections[OWNER_ALIAS].cursor() as cursor:
        set_transaction_settings({APPEND_ONLY_PRUNE_SETTING: before.isoformat()}, using=OWNER_ALIAS)
        cursor.execute(f"DELETE FROM {table} WHERE at < %s", [before])  # noqa: S608
        return cursor.rowcount


class Command(BaseCommand):
    help = "Delete audit events older than the retention period (AUDIT_RETENTION_DAYS), as the owner role."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=None, help="Keep this many days instead of the setting.")

    def handle(self, *args, days: int | None = None, **options) -> None:
        days = settings.AUDIT_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1.")
        cutoff = retention_cutoff(days)
        deleted = prune(cutoff)
        self.stdout.write(f"Deleted {deleted} audit event(s) recorded before {cutoff:%Y-%m-%d %H:%M} UTC.")
