"""`manage.py create_api_key --clinic <slug> --name <name> [--read-only]`: a new API key
of a clinic, printed alone on the last line of the output (for scripts: `| tail -n 1`).

The clinic is found by its slug through the narrow pre-tenant lookup
tenancy.lookups.organization_id_for_slug; the key is created inside its tenant
context, as the runtime role, through the same service as the staff page."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clinic.api.models import ApiKey
from clinic.api.services import api_key_create
from tenancy.context import tenant_context
from tenancy.lookups import organization_id_for_slug
from tenancy.models import Organization


class Command(BaseCommand):
    help = "Create an API key of a clinic and print it (alone, on the last line)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's slug, e.g. northside.")
        parser.add_argument("--name", required=True, help="What the key is for, e.g. 'Booking website'.")
        parser.add_argument("--read-only", action="store_true", help="The key may only read.")

    def handle(self, *args, clinic: str, name: str, read_only: bool, **options) -> None:
        org_id = organization_id_for_slug(clinic)
        if org_id is None:
            raise CommandError(f"No clinic with the slug {clinic!r}.")
        scopes = ApiKey.READ_ONLY if read_only else ApiKey.READ_WRITE
        with tenant_context(org=org_id):
            organization = Organization.objects.get(pk=org_id)
            try:
                api_key, key = api_key_create(name=name, scopes=scopes)
            except ValidationError as exc:
                problems = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
                raise CommandError(f"Not created: {problems}") from exc
        self.stdout.write(
            f"Created the {api_key.scope_label} API key {api_key.name!r} ({api_key.prefix}…) of {organization.name}."
        )
        self.stdout.write("Keep it secret; it is not shown again:")
        self.stdout.write(key)
