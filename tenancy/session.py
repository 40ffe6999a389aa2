"""The active organization lives in the server-side session, and only here."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from tenancy.models import Membership, Organization

SESSION_ORG_KEY = "tenancy_active_org"


def memberships_for(user) -> list[Membership]:
    """The user's memberships in clinics they may sign in to (RLS shows a user only
    their own); a closed clinic is never offered."""
    memberships = Membership.objects.select_related("organization").filter(user=user)
    return list(memberships.exclude(organization__status=Organization.Status.CLOSED))


def switchable_memberships(request: HttpRequest) -> list[Membership]:
    """memberships_for(request.user), from the memberships the tenant middleware read
    with the active one when it did (tenancy.middleware)."""
    read = getattr(request, "tenancy_memberships", None)
    if read is None:
        return memberships_for(request.user)
    return [m for m in read if m.organization.status != Organization.Status.CLOSED]


def closed_memberships_for(user) -> list[Membership]:
    """The user's memberships in closed clinics (their owners may still fetch the export)."""
    memberships = Membership.objects.select_related("organization").filter(user=user)
    return list(memberships.filter(organization__status=Organization.Status.CLOSED))


def activate_org(request: HttpRequest, org_id) -> Membership:
    """Make `org_id` the active organization, after checking the user belongs to it.

    Raises PermissionDenied otherwise; the caller answers 404 or re-shows the picker."""
    try:
        org_uuid = uuid.UUID(str(org_id))
    except ValueError:
        raise PermissionDenied("Not a member of that organization.") from None
    membership = (
        Membership.objects.select_related("organization").filter(user=request.user, organization_id=org_uuid).first()
    )
    if membership is None or membership.organization.status == Organization.Status.CLOSED:
        raise PermissionDenied("Not a member of that organization.")
    # A new session key on every switch: a session id seen in one clinic's context
    # is not the one that opens another's.
    request.session.cycle_key()
    request.session[SESSION_ORG_KEY] = str(org_uuid)
    return membership


def forget_active_org(request: HttpRequest) -> None:
    request.session.pop(SESSION_ORG_KEY, None)
