"""Members of the active clinic and its pending invitations, for its owners and admins.
Member and invitation ids are looked up within the active clinic only: any other id
is a 404. People join by accepting an emailed invitation (clinic/accounts/views/invitations.py);
nothing here adds anyone."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.accounts.forms import MemberInviteForm, MemberRoleForm, role_choices
from tenancy.decorators import manager_required
from tenancy.models import Invitation, Membership
from tenancy.services import (
    can_change_member,
    grantable_roles,
    invitation_create,
    invitation_revoke,
    membership_change_role,
    membership_remove,
)

ROLE_ORDER = {role: index for index, role in enumerate(Membership.Role.values)}


@dataclass(frozen=True)
class MemberRow:
    membership: Membership
    is_you: bool
    can_change: bool


def _get_member(request: HttpRequest, membership_id) -> Membership:
    # Membership is not a TenantModel: RLS also shows the user their own memberships
    # in other clinics, so the active clinic is named here explicitly.
    return get_object_or_404(
        Membership.objects.select_related("user"), pk=membership_id, organization=request.organization
    )


def _member_rows(request: HttpRequest) -> list[MemberRow]:
    actor = request.membership
    members = Membership.objects.filter(organization=request.organization).select_related("user")
    rows = [MemberRow(m, m.pk == actor.pk, can_change_member(actor=actor, member=m)) for m in members]
    return sorted(rows, key=lambda row: (ROLE_ORDER[row.membership.role], str(row.membership.user).lower()))


def _pending_invitations(request: HttpRequest) -> list[Invitation]:
    # Invitation is a TenantModel: its manager and RLS both keep to the active clinic.
    return list(Invitation.objects.pending().select_related("invited_by").order_by("email"))


def _render_members(request: HttpRequest, invite_form: MemberInviteForm) -> HttpResponse:
    roles = grantable_roles(request.membership)
    context = {
        "rows": _member_rows(request),
        "invitations": _pending_invitations(request),
        "invite_form": invite_form,
        "role_choices": role_choices(roles),
    }
    return render(request, "accounts/members.html", context)


@manager_required
@require_GET
def member_list(request: HttpRequest) -> HttpResponse:
    return _render_members(request, MemberInviteForm(roles=grantable_roles(request.membership)))


@manager_required
@require_POST
def member_invite(request: HttpRequest) -> HttpResponse:
    form = MemberInviteForm(request.POST, roles=grantable_roles(request.membership))
    if form.is_valid():
        try:
            invitation = invitation_create(
                email=form.cleaned_data["email"], role=form.cleaned_data["role"], invited_by=request.membership
            )
        except ValidationError as exc:
            form.add_error("email" if exc.code == "already_member" else "role", exc)
        else:
            # The same answer whether or not anyone has an account with this address.
            messages.success(
                request,
                f"Invitation sent to {invitation.email}, if that address can receive email. "
                "They join once they accept it; until then it is listed under pending invitations.",
            )
            return redirect("accounts:members")
    return _render_members(request, form)


@manager_required
@require_POST
def invitation_revoke_view(request: HttpRequest, invitation_id) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.pending(), pk=invitation_id)
    try:
        invitation_revoke(invitation=invitation, revoked_by=request.membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The invitation to {invitation.email} is revoked; its link no longer works.")
    return redirect("accounts:members")


@manager_required
@require_POST
def member_role(request: HttpRequest, membership_id) -> HttpResponse:
    member = _get_member(request, membership_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the listed roles.")
        return redirect("accounts:members")
    try:
        role = form.cleaned_data["role"]
        member = membership_change_role(membership=member, role=role, changed_by=request.membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:members")
    messages.success(request, f"{member.user} is now {member.get_role_display().lower()}.")
    if member.pk == request.membership.pk and not member.can_manage:
        return redirect("schedule:day")
    return redirect("accounts:members")


@manager_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, membership_id) -> HttpResponse:
    member = _get_member(request, membership_id)
    if request.method == "GET":
        return render(request, "accounts/member_remove.html", {"member": member})
    try:
        membership_remove(membership=member, removed_by=request.membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:members")
    if member.pk == request.membership.pk:
        messages.success(request, f"You are no longer a member of {request.organization.name}.")
        return redirect("accounts:clinic_picker")
    messages.success(request, f"{member.user} was removed from {request.organization.name}.")
    return redirect("accounts:members")
