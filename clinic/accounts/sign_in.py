"""Where a user lands once signed in (after the password, or after the second factor)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from tenancy.context import tenant_context
from tenancy.decorators import runs_without_active_org
from tenancy.session import activate_org, forget_active_org, memberships_for


def local_path(url: str, default: str = "/") -> str:
    """`url` reduced to its path and query: a `next` that already passed Django's
    same-host check, kept as a path so it can only ever lead within this site."""
    parts = urlsplit(url)
    path = parts.path or default
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return default
    return f"{path}?{parts.query}" if parts.query else path


def enter_after_sign_in(request: HttpRequest, user, next_url: str) -> HttpResponse:
    """One clinic → it becomes active and the user goes on to `next_url`; several →
    the picker; none → the picker says so. A `next_url` that needs no active clinic
    (an invitation to join one) comes first either way."""
    # Just signed in, the tenant middleware opened no context for this request; the
    # user may read their own memberships only inside one.
    with tenant_context(user=user):
        forget_active_org(request)
        memberships = memberships_for(user)
        if len(memberships) == 1:
            activate_org(request, memberships[0].organization_id)
            return redirect(next_url)
    if runs_without_active_org(urlsplit(next_url).path):
        return redirect(next_url)
    return redirect("accounts:clinic_picker")
