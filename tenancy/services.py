"""Writes that span tenancy models."""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from tenancy.context import tenant_context
from tenancy.models import Membership, Organization


def organization_create(*, name: str, slug: str, timezone: str, owner) -> Organization:
    """Create a clinic and make `owner` its owner, as the runtime role, with no bypass:
    the new id becomes the current tenant first, so the RLS policies accept both rows.

    Must run outside any other organization's tenant context (which refuses the switch)."""
    org = Organization(id=uuid.uuid4(), name=name, slug=slug, timezone=timezone)
    org.full_clean()
    with tenant_context(org=org.id, user=owner):
        org.save(force_insert=True)
        Membership.objects.create(organization=org, user=owner, role=Membership.Role.OWNER)
    return org


def organization_delete(*, deleted_by: Membership) -> None:
    """Delete the owner's clinic and, by the database's ON DELETE CASCADE on every
    tenant table's organization_id, all of its data: every tenant row (append-only
    ones included: PostgreSQL runs a cascade as the table's owner) and every
    membership. Other clinics are untouched. Only an owner may; offer them their
    exports first (README, 'Patient data rights')."""
    with tenant_context(org=deleted_by.organization_id):
        Organization.objects.select_for_update().filter(pk=deleted_by.organization_id).first()
        actor = Membership.objects.filter(pk=deleted_by.pk, organization_id=deleted_by.organization_id).first()
        if actor is None or actor.role != Membership.Role.OWNER:
            raise PermissionDenied("Only an owner can delete the clinic.")
        Organization.objects.filter(pk=actor.organization_id).delete()


# --- Memberships ------------------------------------------------------------------
# The rules: only owners and admins manage members; only an owner grants or takes
# away the owner role; an organization always keeps at least one owner. Each write
# locks the organization row first, so two managers acting at once are serialised
# and cannot, say, demote the last two owners together.

LAST_OWNER_MESSAGE = "There must always be at least one owner. Make someone else an owner first."


def membership_invite(*, email: str, role: str, invited_by: Membership) -> Membership:
    """Add the existing user with this email address (case-insensitive) to the inviter's
    organization. The error for an unknown address says nothing about other organizations."""
    user = _user_by_email(email)
    if user is None:
        raise ValidationError(
            "No account uses this email address. Check the spelling, or ask for an account to be created first.",
            code="unknown_email",
        )
    return membership_add(user=user, role=role, added_by=invited_by)


def membership_add(*, user, role: str, added_by: Membership) -> Membership:
    with transaction.atomic():
        actor = _lock_for_manager(added_by)
        _check_role(role)
        _check_owner_role_change(actor, before=None, after=role)
        if Membership.objects.filter(organization_id=actor.organization_id, user=user).exists():
            raise ValidationError("That person is already a member.", code="already_member")
        return Membership.objects.create(organization_id=actor.organization_id, user=user, role=role)


def membership_change_role(*, membership: Membership, role: str, changed_by: Membership) -> Membership:
    with transaction.atomic():
        actor = _lock_for_manager(changed_by)
        membership = _fresh_member(actor, membership)
        _check_role(role)
        _check_owner_role_change(actor, before=membership.role, after=role)
        if membership.role == Membership.Role.OWNER and role != Membership.Role.OWNER:
            _check_not_last_owner(actor)
        membership.role = role
        membership.save(update_fields=["role"])
        return membership


def membership_remove(*, membership: Membership, removed_by: Membership) -> None:
    with transaction.atomic():
        actor = _lock_for_manager(removed_by)
        membership = _fresh_member(actor, membership)
        if membership.role == Membership.Role.OWNER:
            _check_owner_role_change(actor, before=membership.role, after=None)
            _check_not_last_owner(actor)
        membership.delete()


def grantable_roles(actor: Membership) -> list[str]:
    """The roles `actor` may give someone: owners any, admins all but owner."""
    if actor.role == Membership.Role.OWNER:
        return list(Membership.Role.values)
    if actor.can_manage:
        return [role for role in Membership.Role.values if role != Membership.Role.OWNER]
    return []


def can_change_member(*, actor: Membership, member: Membership) -> bool:
    """Whether `actor` may change this member's role or remove them at all (the
    last-owner rule is checked when they try)."""
    if not actor.can_manage or actor.organization_id != member.organization_id:
        return False
    return member.role != Membership.Role.OWNER or actor.role == Membership.Role.OWNER


def _user_by_email(email: str):
    email = email.strip()
    matches = list(get_user_model()._default_manager.filter(email__iexact=email, is_active=True))
    if len(matches) == 1:
        return matches[0]
    # The email column is unique as written, so two addresses may differ only in
    # case; then only the exact spelling decides.
    exact = [user for user in matches if user.email == email]
    return exact[0] if len(exact) == 1 else None


def _lock_for_manager(actor: Membership) -> Membership:
    """Lock the actor's organization and re-read the actor under the lock."""
    Organization.objects.select_for_update().filter(pk=actor.organization_id).first()
    fresh = Membership.objects.filter(pk=actor.pk, organization_id=actor.organization_id).first()
    if fresh is None or not fresh.can_manage:
        raise PermissionDenied("Only owners and admins manage members.")
    return fresh


def _fresh_member(actor: Membership, membership: Membership) -> Membership:
    fresh = Membership.objects.filter(pk=membership.pk, organization_id=actor.organization_id).first()
    if fresh is None:
        raise Membership.DoesNotExist("No such member.")
    return fresh


def _check_role(role: str) -> None:
    if role not in Membership.Role.values:
        raise ValidationError(f"{role!r} is not a role.", code="invalid_role")


def _check_owner_role_change(actor: Membership, *, before: str | None, after: str | None) -> None:
    touches_owner = Membership.Role.OWNER in (before, after) and before != after
    if touches_owner and actor.role != Membership.Role.OWNER:
        raise ValidationError("Only an owner can grant or remove the owner role.", code="owner_only")


def _check_not_last_owner(actor: Membership) -> None:
    owners = Membership.objects.filter(organization_id=actor.organization_id, role=Membership.Role.OWNER)
    if owners.count() <= 1:
        raise ValidationError(LAST_OWNER_MESSAGE, code="last_owner")
