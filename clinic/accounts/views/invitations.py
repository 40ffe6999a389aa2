"""The invitation page an invitee opens from their email (`/invitations/<token>/`).

The token finds its clinic through the one narrow lookup (hash -> clinic, pending
invitations only); everything after runs in that clinic's tenant context. Unknown,
expired, revoked and used links all get the same plain 404 page. A valid link shows
the clinic and who invited, then, depending on who is asking:
- signed in as the invited address: Accept / Decline;
- signed in as someone else: sign in with the invited address instead;
- signed out, and an account uses the address: a sign-in link that comes back here;
- signed out, and no account does: a sign-up form that creates the account with the
  invited address and accepts in one step.
Nobody is a member of the clinic before they accept. Nobody joins a clinic whose
status refuses it (suspended, closed: clinic.core.status): its links get the
same 404 until it is reactivated."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from clinic.accounts.forms import InvitationSignUpForm
from clinic.core.status import Surface, allows
from tenancy.context import tenant_context
from tenancy.decorators import without_active_org
from tenancy.invitations import organization_for_token
from tenancy.models import Invitation, Membership, Organization
from tenancy.services import invitation_accept, invitation_decline, is_invitee
from tenancy.session import activate_org
from tenancy.tokens import token_hash_if_valid

TEMPLATE = "accounts/invitation.html"
MODEL_BACKEND = "clinic.accounts.backends.UsernameOrEmailBackend"


@dataclass(frozen=True)
class Offer:
    """What the page shows of a pending invitation, read in its clinic's context."""

    invitation: Invitation
    clinic: Organization
    inviter: str


@without_active_org
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    offer = _offer(request, token)
    if offer is None:
        return _page(request, {"state": "invalid"}, status=404)
    user = request.user
    if user.is_authenticated:
        if not is_invitee(offer.invitation, user):
            return _page(request, {"state": "wrong_account", "offer": offer}, status=403 if _posted(request) else 200)
        if request.method == "POST":
            return _answer(request, token, offer)
        return _page(request, {"state": "invitee", "offer": offer})
    if _account_exists(offer.invitation.email):
        return _page(request, {"state": "sign_in", "offer": offer})
    return _sign_up(request, token, offer)


def _offer(request: HttpRequest, token: str) -> Offer | None:
    organization_id = organization_for_token(token)
    if organization_id is None:
        return None
    user = request.user if request.user.is_authenticated else None
    with tenant_context(org=organization_id, user=user):
        found = Invitation.objects.select_related("invited_by").filter(token_hash=token_hash_if_valid(token)).first()
        if found is None or not found.is_pending:
            return None
        clinic = Organization.objects.get(pk=organization_id)
    if not allows(clinic, Surface.INVITATION):
        return None
    inviter = str(found.invited_by) if found.invited_by else f"An owner or admin of {clinic.name}"
    return Offer(found, clinic, inviter)


def _answer(request: HttpRequest, token: str, offer: Offer) -> HttpResponse:
    answer = request.POST.get("answer")
    try:
        if answer == "accept":
            membership = invitation_accept(token=token, user=request.user)
            return _welcome(request, membership)
        if answer == "decline":
            invitation_decline(token=token, user=request.user)
            messages.info(request, f"You declined the invitation to {offer.clinic.name}.")
            return redirect("accounts:clinic_picker")
    except Invitation.DoesNotExist:  # revoked or used a moment ago
        return _page(request, {"state": "invalid"}, status=404)
    except ValidationError as exc:
        return _page(request, {"state": "invitee", "offer": offer, "error": " ".join(exc.messages)}, status=400)
    return _page(request, {"state": "invitee", "offer": offer, "error": "Choose Accept or Decline."}, status=400)


def _sign_up(request: HttpRequest, token: str, offer: Offer) -> HttpResponse:
    email = offer.invitation.email
    form = InvitationSignUpForm(request.POST if _posted(request) else None, email=email)
    if not form.is_valid():
        return _page(request, {"state": "sign_up", "offer": offer, "form": form}, status=400 if form.is_bound else 200)
    try:
        with transaction.atomic():
            user = form.save()
            # Who the audit trail names as adding the member: the new account itself.
            request.user = user
            membership = invitation_accept(token=token, user=user)
    except Invitation.DoesNotExist:
        return _page(request, {"state": "invalid"}, status=404)
    auth_login(request, user, backend=MODEL_BACKEND)
    return _welcome(request, membership)


def _welcome(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The new member lands in the clinic they joined."""
    with tenant_context(user=request.user):
        membership = activate_org(request, membership.organization_id)
    messages.success(request, f"Welcome to {membership.organization.name}.")
    return redirect("schedule:day")


def _account_exists(email: str) -> bool:
    return get_user_model()._default_manager.filter(email__iexact=email).exists()


def _posted(request: HttpRequest) -> bool:
    return request.method == "POST"


def _page(request: HttpRequest, context: dict, *, status: int = 200) -> HttpResponse:
    response = render(request, TEMPLATE, context, status=status)
    # The token is in the path: nothing caches the page, and (SECURE_REFERRER_POLICY =
    # same-origin) no other site is told the URL.
    response["Cache-Control"] = "no-store"
    return response
