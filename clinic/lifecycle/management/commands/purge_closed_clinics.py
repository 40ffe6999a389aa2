"""Delete every clinic closed longer ago than CLOSED_CLINIC_GRACE_DAYS, with all its
data, as the owner role: the only role that may delete a clinic, so this is a
privileged command (PRIVILEGED_COMMANDS in clinic/settings.py), run daily from cron or
a systemd timer where the owner's credentials are, like `audit_prune`."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from clinic.lifecycle.purge import clinics_due_for_purge, purge_closed_clinics
from tenancy.database import OWNER_ALIAS


class Command(BaseCommand):
    help = (
        "Delete closed clinics whose grace period (CLOSED_CLINIC_GRACE_DAYS) is over, with all their data, "
        "as the owner role."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only say how many clinics are due.")

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        if dry_run:
            self.stdout.write(f"{len(clinics_due_for_purge(using=OWNER_ALIAS))} closed clinic(s) due for deletion.")
            return
        deleted = purge_closed_clinics(using=OWNER_ALIAS)
        self.stdout.write(f"Deleted {deleted} closed clinic(s) and all their data.")
