"""Re-encrypt every stored calendar password with the first of
CALENDAR_CREDENTIALS_KEYS, clinic by clinic, each in its own tenant context. Run it
after putting a new key first; once it reports no unreadable password, the old keys
can be removed from the setting.

The clinics come from the one narrow pre-tenant function `calendars_caldav_clinics()`
(migration calendars/0002), which returns the ids of the clinics with CalDAV
connections and nothing else; everything else runs as each clinic."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from clinic.calendars.caldav.services import caldav_credentials_rotate
from tenancy.context import tenant_context


def clinics_with_connections() -> list:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT calendars_caldav_clinics()")
        return sorted(row[0] for row in cursor.fetchall())


class Command(BaseCommand):
    help = "Re-encrypt every stored calendar password with the first key of CALENDAR_CREDENTIALS_KEYS."

    def handle(self, *args, **options) -> None:
        total = unreadable = 0
        clinics = clinics_with_connections()
        for org_id in clinics:
            with tenant_context(org=org_id):
                rotated, failed = caldav_credentials_rotate()
            total, unreadable = total + rotated, unreadable + failed
        self.stdout.write(f"Re-encrypted {total} calendar password(s) in {len(clinics)} clinic(s).")
        if unreadable:
            raise CommandError(
                f"{unreadable} stored password(s) could not be decrypted with any configured key; "
                "their connections are marked broken and must be reconnected. Keep the old keys until then."
            )
