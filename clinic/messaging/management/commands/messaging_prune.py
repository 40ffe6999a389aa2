"""Apply the retention periods of texts (each clinic's `text_retention_days`) and of
webhook events and deliveries (WEBHOOK_RETENTION_DAYS), as the owner role: a
privileged command (PRIVILEGED_COMMANDS), run daily from cron or a systemd timer
where the owner's credentials are, beside `audit_prune`."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clinic.messaging.retention import prune_all
from tenancy.database import OWNER_ALIAS


class Command(BaseCommand):
    help = (
        "Blank old texts' bodies, delete old unmatched inbound texts and old webhook events and deliveries, "
        "as the owner role."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only say what would be removed.")

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        if OWNER_ALIAS not in settings.DATABASES:
            raise CommandError(
                "messaging_prune runs as the owner role: run it as `manage.py messaging_prune` "
                "with DB_OWNER_USER and DB_OWNER_PASSWORD set."
            )
        results = prune_all(dry_run=dry_run, using=OWNER_ALIAS)
        totals: dict[str, int] = {}
        for counts in results.values():
            for name, count in counts.items():
                totals[name] = totals.get(name, 0) + count
        verb = "Would remove" if dry_run else "Removed"
        summary = ", ".join(f"{name.replace('_', ' ')}: {count}" for name, count in sorted(totals.items())) or "nothing"
        self.stdout.write(f"{verb} in {len(results)} clinic(s): {summary}.")
