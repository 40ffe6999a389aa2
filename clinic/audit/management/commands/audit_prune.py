"""Remove audit events older than AUDIT_RETENTION_DAYS (or --days), as the owner role."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clinic.audit.retention import prune, retention_cutoff


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
