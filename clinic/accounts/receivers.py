"""Audit events of signing in and out, from Django's sign-in signals (every way of
signing in ends in login()). Here rather than in audit, which sits below accounts:
a failed sign-in is matched to its account by accounts' own lookup."""

from __future__ import annotations

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from clinic.accounts.backends import account_for
from clinic.audit.trail import Action, ActorInfo, record, user_actor
from tenancy.context import current_org_id, tenant_context
from tenancy.session import memberships_for

logger = logging.getLogger(__name__)


@receiver(user_logged_in, dispatch_uid="audit.logged_in")
def logged_in(sender, request, user, **kwargs) -> None:
    """A sign-in is recorded in each clinic the user belongs to: it opens all of them."""
    if current_org_id() is None:
        _record_in_each_clinic(user, Action.LOGIN, user_actor(user))


@receiver(user_logged_out, dispatch_uid="audit.logged_out")
def logged_out(sender, request, user, **kwargs) -> None:
    if user is not None and current_org_id() is not None:
        record(Action.LOGOUT, user=user)


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def login_failed(sender, credentials, request=None, **kwargs) -> None:
    """A failed sign-in of a known user (by username or email) is recorded in each clinic they belong to
    (their memberships, read as that user: the same narrow policy the sign-in uses);
    one of an unknown username goes to the application log only, as no clinic is
    concerned."""
    user = account_for(credentials.get("username"))
    if user is None:
        logger.warning("Failed sign-in for an unknown username or email")
        return
    if current_org_id() is not None:
        return  # a re-authentication inside a clinic's request: not a sign-in
    _record_in_each_clinic(user, Action.LOGIN_FAILED, user_actor(user))


def _record_in_each_clinic(user, action: str, actor: ActorInfo) -> None:
    with tenant_context(user=user):
        clinics = [m.organization_id for m in memberships_for(user)]
    for clinic in clinics:
        with tenant_context(org=clinic, user=user):
            record(action, actor=actor, object_type="accounts.User", object_id=user.pk)
