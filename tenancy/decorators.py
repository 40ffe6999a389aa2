"""View decorators for pages that act inside the active organization.

`org_required`: signed out → the login page; signed in with no active organization
→ the organization picker (settings.TENANCY_PICKER_URL, a URL name or path).

`manager_required`: as `org_required`, and the user's membership in the active
organization must be able to manage it (owner or admin). Anyone else gets 404,
not 403: manager pages include object URLs (a member's id), and a 404 says nothing
about whether the object exists. The navigation simply leaves these pages out.

`without_active_org`: the tenant middleware opens no organization around the view,
only the signed-in user's own context, so the view may open another organization's
tenant context itself (an invitation link names a clinic the user is not in yet)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve

View = Callable[..., HttpResponse]


def _picker_url() -> str:
    url = getattr(settings, "TENANCY_PICKER_URL", None)
    if not url:
        raise ImproperlyConfigured("Set TENANCY_PICKER_URL to the URL name of the organization picker.")
    return url


def org_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if getattr(request, "organization", None) is None:
            return redirect(_picker_url())
        return view(request, *args, **kwargs)

    return wrapper


def manager_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.membership.can_manage:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return org_required(wrapper)


def without_active_org(view: View) -> View:
    view.tenancy_without_active_org = True
    return view


def runs_without_active_org(path: str, urlconf=None) -> bool:
    """Whether the view at `path` (a path, no query string) is `without_active_org`."""
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return False
    return getattr(match.func, "tenancy_without_active_org", False)
