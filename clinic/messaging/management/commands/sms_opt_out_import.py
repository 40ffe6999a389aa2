"""`manage.py sms_opt_out_import --clinic <slug> FILE [--note TEXT]`: put the numbers of
FILE (numbers that opted out elsewhere: a previous system, the SMS provider's list) on
the clinic's opt-out list, through the same service as the staff page. A file with
a bad line stores nothing and the command exits non-zero, naming the lines.

The clinic is found by its slug through the narrow pre-tenant lookup
tenancy.lookups.organization_id_for_slug; the import runs in its tenant context."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clinic.audit.trail import Actor, ActorInfo, acting_as
from clinic.messaging.opt_out_import import MAX_BYTES
from clinic.messaging.services import sms_opt_outs_import
from tenancy.context import tenant_context
from tenancy.lookups import organization_id_for_slug

OPERATOR = ActorInfo(Actor.SYSTEM, label="manage.py sms_opt_out_import")


class Command(BaseCommand):
    help = "Import numbers that opted out elsewhere onto a clinic's SMS opt-out list."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's slug, e.g. northside.")
        parser.add_argument("file", help="CSV or text: one number per line, optionally a date (YYYY-MM-DD) second.")
        parser.add_argument("--note", default="", help="Where the list comes from, kept with each number.")

    def handle(self, *args, clinic: str, file: str, note: str, **options) -> None:
        org_id = organization_id_for_slug(clinic)
        if org_id is None:
            raise CommandError(f"No clinic with the slug {clinic!r}.")
        path = Path(file)
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)  # the service refuses what is over
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from None
        with tenant_context(org=org_id), acting_as(OPERATOR):
            try:
                counts = sms_opt_outs_import(data=data, note=note)  # any file name: the text is checked
            except ValidationError as exc:
                raise CommandError(f"Nothing imported: {' '.join(exc.messages)}") from None
        self.stdout.write(
            f"{counts['numbers']} numbers in {path.name}: {counts['opted_out']} newly opted out, "
            f"{counts['patients']} patients no longer texted."
        )
