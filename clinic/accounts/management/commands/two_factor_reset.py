"""Remove a user's two-factor sign-in (authenticator app and recovery codes), for
someone who lost their phone and their recovery codes. They then sign in with their
password alone and set it up again (a clinic that requires it asks them to at once).

Run it only after checking who is asking, as for a password reset. It is recorded in
the audit trail of each clinic the user belongs to, and in the application log."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clinic.accounts.two_factor.audit import record_two_factor_change
from clinic.accounts.two_factor.devices import remove_two_factor
from clinic.audit.trail import Action, Actor, ActorInfo


class Command(BaseCommand):
    help = "Remove a user's two-factor sign-in (a lost phone); recorded in their clinics' audit trails."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help="The username of the person who lost their phone.")

    def handle(self, *args, username: str, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        with transaction.atomic():
            removed = remove_two_factor(user)
            if removed:
                actor = ActorInfo(Actor.SYSTEM, label="manage.py two_factor_reset")
                record_two_factor_change(user, Action.TWO_FACTOR_RESET, actor=actor)
        if not removed:
            self.stdout.write(f"{username} has no two-factor sign-in; nothing to remove.")
            return
        self.stdout.write(
            self.style.SUCCESS(f"Removed two-factor sign-in of {username}. They sign in with their password alone now.")
        )
