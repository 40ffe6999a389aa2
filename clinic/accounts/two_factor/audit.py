"""A change to someone's second factor changes how they sign in to every clinic they
belong to, so it is recorded in the audit trail of each (like a sign-in), and in the
application log, which also covers a user of no clinic."""

from __future__ import annotations

import logging

from django.db import transaction

from clinic.audit.trail import Action, ActorInfo, record_in
from tenancy.context import current_user_id, tenant_context
from tenancy.session import memberships_for

logger = logging.getLogger(__name__)


def record_two_factor_change(user, action: str, *, actor: ActorInfo | None = None) -> None:
    """Record `action` about `user`'s second factor; by the user themselves unless
    `actor` says who else (an operator's command)."""
    logger.info("%s: user %s (%s)", Action(action).label, user.pk, actor.label if actor else "by the user")
    _record_in_each_clinic(user, action, actor=actor)


def record_failed_code(user) -> None:
    """A wrong second-factor code at sign-in: a failed sign-in, with the right password."""
    logger.warning("Wrong two-factor code at sign-in for user %s", user.pk)
    _record_in_each_clinic(user, Action.LOGIN_FAILED)


def _record_in_each_clinic(user, action: str, *, actor: ActorInfo | None = None) -> None:
    if current_user_id() not in (None, user.pk):
        # Someone else's request (a superuser in the admin): their context cannot read
        # this user's memberships, nor switch to the user. Once it has committed, in
        # contexts of its own.
        transaction.on_commit(lambda: _record_in_each_clinic(user, action, actor=actor))
        return
    # The user's own memberships are visible in a context acting as them.
    with tenant_context(user=user):
        clinics = [membership.organization_id for membership in memberships_for(user)]
    for clinic in clinics:
        record_in(
            clinic,
            action,
            user=None if actor else user,
            actor=actor,
            object_type="accounts.User",
            object_id=user.pk,
        )
