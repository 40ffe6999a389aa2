"""Resolve the active organization from the server-side session and run the view
inside its tenant context, in one transaction.

The organization comes only from the session (set at login or by the org switcher
after checking membership), never from the URL, query string, form or headers.
The membership is re-checked on every request, so a removed member loses access
at once, and a session naming an organization the user does not belong to is
cleared rather than honoured. A view marked `without_active_org` runs in the user's
own context only, and opens the organization it needs itself."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from tenancy.context import tenant_context
from tenancy.decorators import runs_without_active_org
from tenancy.models import Membership
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

        # One transaction for the whole request: first as the user alone (who may
        # read only their own memberships), then, if the membership holds, as the
        # organization too.
        with tenant_context(user=user):
            if runs_without_active_org(request.path_info, getattr(request, "urlconf", None)):
                return self.get_response(request)
            membership = self._active_membership(request, user)
            if membership is None:
                return self.get_response(request)
            request.organization = membership.organization
            request.membership = membership
            # Pages, forms and the admin read and show times in the clinic's own zone,
            # and dates in its own order (its locale's formats).
            with (
                tenant_context(org=membership.organization_id, user=user),
                timezone.override(membership.organization.zone),
                translation.override(membership.organization.locale),
            ):
                return self.get_response(request)

    def _active_membership(self, request: HttpRequest, user) -> Membership | None:
        raw = request.session.get(SESSION_ORG_KEY)
        if not raw:
            return None
        try:
            org_id = uuid.UUID(str(raw))
        except ValueError:
            forget_active_org(request)
            return None
        membership = Membership.objects.select_related("organization").filter(user=user, organization_id=org_id).first()
        if membership is None:
            forget_active_org(request)
        return membership
