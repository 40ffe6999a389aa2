"""Resolve the active organization from the server-side session and run the view
inside its tenant context, in one transaction.

The organization comes only from the session (set at login or by the org switcher
after checking membership), never from the URL, query string, form or headers.
The membership is re-checked on every request, so a removed member loses access
at once, and a session naming an organization the user does not belong to is
cleared rather than honoured. A view marked `without_active_org` runs in the user's
own context only, and opens the organization it needs itself. A view that declines
the request transaction (`transaction.non_atomic_requests`, as the health probes
do) reads no clinic data, and gets no tenant context at all.

One tenant context per request: the session's organization and the user are set
(one proof, one `set_config`) before the membership is read, and the membership is
read in that context. Nothing runs in it before the membership is known to hold;
if it does not, that transaction ends and the request goes on in the user's own
context, in a transaction of its own.

The view joins that transaction rather than nesting a savepoint in it
(tenancy.request_transaction). The product may read a few figures of the active
organization along with the memberships (`TENANCY_MEMBERSHIP_FIGURES`, below), so a
layout shown on every page asks nothing more of the database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from tenancy.context import tenant_context
from tenancy.models import Membership
from tenancy.request_transaction import joining_request_transaction
from tenancy.session import SESSION_ORG_KEY, forget_active_org


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organization = None
        request.membership = None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer "):
            # A request with a key of its own resolves its clinic from the key
            # (tenancy.drf); the session's clinic must not be open around it. (Only
            # Bearer: a proxy's Basic auth in front of the staff pages is no key.)
            return self.get_response(request)

        view = _view_of(request)
        if DEFAULT_DB_ALIAS in getattr(view, "_non_atomic_requests", ()):
            return self.get_response(request)
        org_id = None if getattr(view, "tenancy_without_active_org", False) else self._session_org(request)
        if org_id is not None:
            with tenant_context(org=org_id, user=user):
                memberships = _memberships_of(user)
                membership = next((m for m in memberships if m.organization_id == org_id), None)
                if membership is not None:
                    return self._as_member(request, membership, memberships)
            # Not (or no longer) a member: that transaction read the memberships only.
            forget_active_org(request)
        with tenant_context(user=user), joining_request_transaction(DEFAULT_DB_ALIAS):
            return self.get_response(request)

    def _as_member(self, request: HttpRequest, membership: Membership, memberships: list[Membership]) -> HttpResponse:
        request.organization = membership.organization
        request.membership = membership
        # All of the user's memberships, read with the active one: the clinic switcher
        # shows them without asking again (tenancy.session.memberships_for).
        request.tenancy_memberships = memberships
        # Pages, forms and the admin read and show times in the clinic's own zone,
        # and dates in its own order (its locale's formats).
        with (
            timezone.override(membership.organization.zone),
            translation.override(membership.organization.locale),
            joining_request_transaction(DEFAULT_DB_ALIAS),
        ):
            return self.get_response(request)

    def _session_org(self, request: HttpRequest) -> uuid.UUID | None:
        raw = request.session.get(SESSION_ORG_KEY)
        if not raw:
            return None
        try:
            return uuid.UUID(str(raw))
        except ValueError:
            forget_active_org(request)
            return None


def _view_of(request: HttpRequest):
    try:
        return resolve(request.path_info, getattr(request, "urlconf", None)).func
    except Resolver404:
        return None


def _memberships_of(user) -> list[Membership]:
    # RLS shows a user their own memberships in any clinic, and their clinics.
    memberships = Membership.objects.select_related("organization").filter(user=user)
    return list(memberships.annotate(**membership_figures()))


def membership_figures() -> dict:
    """The product's figures read with each membership, as annotations (name →
    expression over the membership's row): the setting `TENANCY_MEMBERSHIP_FIGURES`
    names a callable returning them. Each is computed in the request's tenant
    context, so under RLS it can only count the active organization's rows; for the
    user's other memberships it counts nothing."""
    path = getattr(settings, "TENANCY_MEMBERSHIP_FIGURES", "")
    return _configured_figures(path)() if path else {}


@cache
def _configured_figures(path: str):
    return import_string(path)
