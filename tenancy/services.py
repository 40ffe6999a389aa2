"""Writes that span tenancy models."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from tenancy import invitations, signals, tokens
from tenancy.context import tenant_context
from tenancy.models import Invitation, Membership, Organization


def organization_create(
    *, name: str, slug: str, timezone: str, owner, status: str = Organization.Status.ACTIVE, locale: str | None = None
) -> Organization:
    """Create a clinic and make `owner` its owner, as the runtime role, with no bypass:
    the new id becomes the current tenant first, so the RLS policies accept both rows.
    A clinic made by sign-up starts in `trial`. `locale`: the model's default if None.

    Must run outside any other organization's tenant context (which refuses the switch)."""
    org = Organization(id=uuid.uuid4(), name=name, slug=slug, timezone=timezone, status=status)
    if locale is not None:
        org.locale = locale
    org.full_clean()
    with tenant_context(org=org.id, user=owner):
        org.save(force_insert=True)
        _added(Membership.objects.create(organization=org, user=owner, role=Membership.Role.OWNER))
    return org


# --- Memberships ------------------------------------------------------------------
# The rules: only owners and admins manage members; only an owner grants or takes
# away the owner role; an organization always keeps at least one owner (the database
# refuses the rest too, whoever asks: tenancy/0010_membership_guards). Each write
# locks the organization row first, so two managers acting at once are serialised
# and cannot, say, demote the last two owners together.

LAST_OWNER_MESSAGE = "There must always be at least one owner. Make someone else an owner first."


def membership_add(*, user, role: str, added_by: Membership) -> Membership:
    """Add `user` directly, without asking them: only for what is the actor's own doing
    (demo and test data made as the clinic's owner). People join a clinic by accepting
    an invitation (invitation_create, invitation_accept); no page or admin calls this."""
    with transaction.atomic():
        actor = _lock_for_manager(added_by)
        _check_role(role)
        _check_owner_role_change(actor, before=None, after=role)
        if Membership.objects.filter(organization_id=actor.organization_id, user=user).exists():
            raise ValidationError("That person is already a member.", code="already_member")
        return _added(Membership.objects.create(organization_id=actor.organization_id, user=user, role=role))


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
        signals.membership_changed.send(sender=Membership, membership=membership, change=signals.ROLE_CHANGED)
        return membership


def membership_remove(*, membership: Membership, removed_by: Membership) -> None:
    with transaction.atomic():
        actor = _lock_for_manager(removed_by)
        membership = _fresh_member(actor, membership)
        if membership.role == Membership.Role.OWNER:
            _check_owner_role_change(actor, before=membership.role, after=None)
            _check_not_last_owner(actor)
        signals.membership_changed.send(sender=Membership, membership=membership, change=signals.REMOVED)
        membership.delete()


def _added(membership: Membership) -> Membership:
    signals.membership_changed.send(sender=Membership, membership=membership, change=signals.ADDED)
    return membership


# --- Invitations ------------------------------------------------------------------
# Nobody joins a clinic without consent: a manager invites an email address, and the
# person holding it joins by accepting the emailed link while signed in as that
# address. Whether the address has an account is never revealed to the inviter; that
# someone is already a member is (the members page lists them anyway).

NOT_PENDING_MESSAGE = "This invitation was already accepted or revoked."


def invitation_create(*, email: str, role: str, invited_by: Membership) -> Invitation:
    """Invite `email` to the inviter's clinic with `role` and mail them the link once
    the transaction commits. Inviting an address with a pending invitation renews it
    (new link, role and expiry; the old link dies) rather than adding another."""
    email = email.strip().lower()
    validate_email(email)
    with transaction.atomic():
        actor = _lock_for_manager(invited_by)
        _check_role(role)
        _check_owner_role_change(actor, before=None, after=role)
        members = Membership.objects.filter(organization_id=actor.organization_id, user__email__iexact=email)
        if members.exists():
            raise ValidationError("That person is already a member.", code="already_member")
        invitation = Invitation.objects.pending().select_for_update().filter(email=email).first()
        return _issue(invitation or Invitation(email=email), role=role, inviter=actor.user)


def invitation_create_first_owner(*, email: str, invited_by) -> Invitation:
    """Invite `email` to own the current clinic, which has no member yet (a clinic made
    by the platform operator). `invited_by` is a user, not a member: the database admits
    this one invitation only while the clinic has no member (tenancy/0008)."""
    email = email.strip().lower()
    validate_email(email)
    with transaction.atomic():
        return _issue(Invitation(email=email), role=Membership.Role.OWNER, inviter=invited_by)


def _issue(invitation: Invitation, *, role: str, inviter) -> Invitation:
    """A new link, role and expiry for `invitation`, saved; the mail with the link goes
    out once the transaction commits (the token exists only in that closure and the mail)."""
    token, invitation.token_hash = tokens.new_token()
    invitation.role = role
    invitation.invited_by_id = inviter.pk
    invitation.created_at = timezone.now()
    invitation.expires_at = invitation.created_at + dt.timedelta(days=_ttl_days())
    invitation.save()
    organization = Organization.objects.get(pk=invitation.organization_id)
    send = partial(
        invitations.send_invitation_mail,
        email=invitation.email,
        token=token,
        clinic=organization.name,
        inviter=str(inviter),
        role=invitation.get_role_display(),
        expires_at=timezone.localtime(invitation.expires_at, organization.zone),
        locale=organization.locale,
    )
    transaction.on_commit(send)
    return invitation


def invitation_revoke(*, invitation: Invitation, revoked_by: Membership) -> Invitation:
    """Revoke a pending invitation: its link stops working at once."""
    with transaction.atomic():
        actor = _lock_for_manager(revoked_by)
        fresh = Invitation.objects.filter(pk=invitation.pk, organization_id=actor.organization_id).first()
        if fresh is None:
            raise Invitation.DoesNotExist("No such invitation.")
        # As with members: only an owner may take back an offer of the owner role.
        # Checked before locking: the database lets only those who may change an
        # invitation lock it (SELECT FOR UPDATE meets the UPDATE policy).
        _check_owner_role_change(actor, before=fresh.role, after=None)
        fresh = Invitation.objects.select_for_update().get(pk=fresh.pk)
        if fresh.accepted_at is not None or fresh.revoked_at is not None:
            raise ValidationError(NOT_PENDING_MESSAGE, code="not_pending")
        fresh.revoked_at = timezone.now()
        fresh.save(update_fields=["revoked_at"])
        return fresh


def invitation_accept(*, token: str, user) -> Membership:
    """`user` accepts the invitation behind `token` and becomes a member with its role.

    Runs as that user in the invitation's clinic (found by the pre-tenant lookup), in
    one transaction, and in this order: first the invitation records who accepted it,
    then the membership is inserted. So the database can admit a membership insert by
    someone who manages nothing there only against an invitation of that clinic
    accepted by them, for the same role and their own address."""
    organization_id = invitations.organization_for_token(token)
    if organization_id is None:
        raise Invitation.DoesNotExist("No such invitation.")
    with tenant_context(org=organization_id, user=user):
        invitation = _pending_for_invitee(token, user)
        invitation.accepted_by = user
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_by", "accepted_at"])
        existing = Membership.objects.filter(organization_id=organization_id, user=user).first()
        if existing is not None:  # joined meanwhile: the link is used up, the role kept
            return existing
        return _added(Membership.objects.create(organization_id=organization_id, user=user, role=invitation.role))


def invitation_decline(*, token: str, user) -> Invitation:
    """The invitee turns the invitation down: it is revoked, and its link dies."""
    organization_id = invitations.organization_for_token(token)
    if organization_id is None:
        raise Invitation.DoesNotExist("No such invitation.")
    with tenant_context(org=organization_id, user=user):
        invitation = _pending_for_invitee(token, user)
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        return invitation


def is_invitee(invitation: Invitation, user) -> bool:
    """Whether `user` holds the invited address (case-insensitive)."""
    email = (getattr(user, "email", "") or "").strip().lower()
    return bool(user is not None and user.is_authenticated and user.is_active and email == invitation.email)


def _pending_for_invitee(token: str, user) -> Invitation:
    token_hash = tokens.token_hash_if_valid(token)
    invitation = Invitation.objects.filter(token_hash=token_hash).first()
    if invitation is None or not invitation.is_pending:
        raise Invitation.DoesNotExist("No such invitation.")
    if not is_invitee(invitation, user):
        raise ValidationError(
            f"This invitation is for {invitation.email}. Sign in with that address to accept it.",
            code="wrong_account",
        )
    # Only now locked: the database lets the invitee, not others, lock and answer it.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise Invitation.DoesNotExist("No such invitation.")
    return invitation


def _ttl_days() -> int:
    return getattr(settings, "INVITATION_TTL_DAYS", 7)


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
