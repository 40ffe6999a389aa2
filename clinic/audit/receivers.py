"""Audit events for changes announced elsewhere: the schedule's appointment_changed
signal, memberships, API keys, and Django's sign-in signals. Each receiver runs inside
the change's transaction, so the event commits or rolls back with it."""

from __future__ import annotations

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from clinic.accounts.backends import account_for
from clinic.api.models import ApiKey
from clinic.appointments import signals
from clinic.appointments.models import AppointmentStatusChange
from clinic.audit.trail import Action, Actor, ActorInfo, record, user_actor
from tenancy.context import current_org_id, tenant_context
from tenancy.models import Membership
from tenancy.session import memberships_for

logger = logging.getLogger(__name__)

CHANGE_ACTIONS = {signals.BOOKED: Action.CREATE, signals.UPDATED: Action.UPDATE, signals.STATUS_CHANGED: Action.UPDATE}
# Changes no signed-in person or key made: whose they were.
VIA_ACTORS = {
    AppointmentStatusChange.Via.SMS: ActorInfo(Actor.SMS_WEBHOOK, label="SMS reply"),
    AppointmentStatusChange.Via.LINK: ActorInfo(Actor.SYSTEM, label="Confirmation link"),
}


@receiver(signals.appointment_changed, dispatch_uid="audit.appointment_changed")
def appointment_changed(sender, appointment, change, changed_fields, via, changed_by, **details) -> None:
    actor = user_actor(changed_by) if changed_by is not None else VIA_ACTORS.get(via)
    fields = changed_fields if change != signals.STATUS_CHANGED else ("status",)
    record(CHANGE_ACTIONS[change], obj=appointment, changed_fields=fields, actor=actor)


@receiver(post_save, sender=Membership, dispatch_uid="audit.membership_saved")
def membership_saved(sender, instance: Membership, created: bool, update_fields=None, **kwargs) -> None:
    action = Action.MEMBER_ADDED if created else Action.ROLE_CHANGED
    changed = ("user", "role") if created else ("role",)
    record(action, obj=instance, changed_fields=changed, object_type="tenancy.Membership")


@receiver(post_delete, sender=Membership, dispatch_uid="audit.membership_deleted")
def membership_deleted(sender, instance: Membership, **kwargs) -> None:
    if current_org_id() == instance.organization_id:
        record(Action.MEMBER_REMOVED, obj=instance)


@receiver(post_save, sender=ApiKey, dispatch_uid="audit.api_key_saved")
def api_key_saved(sender, instance: ApiKey, created: bool, update_fields=None, **kwargs) -> None:
    if created:
        record(Action.API_KEY_CREATED, obj=instance, changed_fields=("name", "scopes"))
    elif update_fields and "revoked_at" in update_fields and instance.revoked_at is not None:
        record(Action.API_KEY_REVOKED, obj=instance, changed_fields=("revoked_at",))


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
