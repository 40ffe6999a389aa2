"""Create an organization (a clinic) with an existing user as its owner.

Runs as the runtime role through `tenancy.services.organization_create`: nothing
bypasses row-level security, not even at onboarding."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from django.db.models import Q
from django.utils.text import slugify

from tenancy.services import organization_create


class Command(BaseCommand):
    help = "Create an organization and make an existing user (username or email) its owner."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", required=True, help="Display name, e.g. 'Riverside Clinic'.")
        parser.add_argument("--owner", required=True, help="Username or email of an existing user.")
        parser.add_argument("--timezone", default="UTC", help="IANA time zone, e.g. Europe/Berlin (default UTC).")
        parser.add_argument("--slug", help="Short unique name (default: from the name).")
        parser.add_argument(
            "--locale", help="Its date order, one of settings.LANGUAGES, e.g. en-gb (default: the model's, en-us)."
        )

    def handle(
        self, *args, name: str, owner: str, timezone: str, slug: str | None, locale: str | None, **options
    ) -> None:
        user = self._user(owner)
        slug = slug or slugify(name)[:60]
        try:
            org = organization_create(name=name.strip(), slug=slug, timezone=timezone, owner=user, locale=locale)
        except ValidationError as exc:
            problems = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
            raise CommandError(f"Not created: {problems}") from exc
        except IntegrityError as exc:
            raise CommandError(f"Not created: the slug {slug!r} is taken; choose another with --slug.") from exc
        self.stdout.write(self.style.SUCCESS(f"Created {org.name} ({org.id}), owned by {user.get_username()}."))

    def _user(self, owner: str):
        """The one user whose username is `owner` or whose email is `owner`; refused
        when those are two different users (a username spelled like someone's email)."""
        users = list(get_user_model().objects.filter(Q(username=owner) | Q(email__iexact=owner))[:2])
        if not users:
            raise CommandError(f"No user {owner!r}. Create the user first (e.g. in /admin/ as a superuser).")
        if len(users) > 1:
            raise CommandError(
                f"{owner!r} is one user's username and another user's email address; "
                "rename one of them, or give the other's username."
            )
        return users[0]
