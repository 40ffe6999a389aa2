"""The API surface of the tenancy layer, for Django REST framework.

Where the organization comes from:
- `BearerKeyAuthentication`: `Authorization: Bearer <key>`. A subclass says how a key
  is resolved (`resolve()`): through one narrow pre-tenant lookup that maps the key to
  its organization and nothing else. Unknown, revoked and malformed keys all get the
  same 401, which says nothing about whether a key ever existed.
- `TenantSessionAuthentication`: a signed-in member, in the organization active in
  their session (the tenant middleware has checked the membership); CSRF enforced.

Either way the result is a `TenantPrincipal` in `request.auth`, and `TenantAPIViewMixin`
runs the handler inside `tenant_context(principal.organization_id)`, in the request's
one transaction (ATOMIC_REQUESTS): a handler that raises keeps none of its writes.
Nothing here reads an organization from the URL, query string, body or headers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone, translation
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from tenancy import status
from tenancy.context import tenant_context
from tenancy.models import Organization

READ = "read"
WRITE = "write"


class InvalidKey(exceptions.AuthenticationFailed):
    default_detail = "The API key is not valid."
    default_code = "invalid_api_key"


class ClinicNotOpen(exceptions.PermissionDenied):
    """The key's clinic is suspended (or closed): its API answers 403, naming the state."""

    def __init__(self, organization: Organization) -> None:
        state = organization.get_status_display().lower()
        super().__init__(
            f"{organization.name} is {state}: its API is unavailable until it is reactivated.",
            code=f"clinic_{organization.status}",
        )


@dataclass(frozen=True)
class TenantPrincipal:
    """Who is calling, for which organization, allowed to do what."""

    organization_id: uuid.UUID
    scopes: frozenset[str]
    key_id: uuid.UUID | None = None
    user: object | None = None
    can_manage: bool = False
    # Called first inside the tenant context (the key's own row is visible there).
    on_enter: Callable[[TenantPrincipal], None] | None = field(default=None, compare=False, repr=False)

    @property
    def caller(self) -> str:
        """A stable name for throttling and idempotency: the key, or the user."""
        if self.key_id is not None:
            return f"key:{self.key_id}"
        return f"user:{getattr(self.user, 'pk', '')}"


class BearerKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>`; subclasses implement `resolve(key)`."""

    keyword = "bearer"
    www_authenticate_realm = "api"

    def authenticate(self, request: Request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.encode():
            return None  # not ours: the session may still authenticate the request
        if len(header) != 2:
            raise InvalidKey()
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise InvalidKey() from None
        principal = self.resolve(key)
        if principal is None:
            raise InvalidKey()
        return AnonymousUser(), principal

    def resolve(self, key: str) -> TenantPrincipal | None:
        """The principal for a presented key, or None for any key that must not work."""
        raise NotImplementedError

    def authenticate_header(self, request: Request) -> str:
        # A WWW-Authenticate header makes DRF answer 401 rather than 403.
        return f'Bearer realm="{self.www_authenticate_realm}"'


class TenantSessionAuthentication(SessionAuthentication):
    """A signed-in member working in their session's active organization."""

    def authenticate(self, request: Request):
        user = getattr(request._request, "user", None)
        membership = getattr(request._request, "membership", None)
        if user is None or not user.is_active or membership is None:
            return None
        self.enforce_csrf(request)
        principal = TenantPrincipal(
            organization_id=membership.organization_id,
            scopes=frozenset({READ, WRITE}),
            user=user,
            can_manage=membership.can_manage,
        )
        return user, principal


class HasScope(BasePermission):
    """Reading needs the `read` scope, anything else `write`. A view may name actions
    that read by POST (`read_actions`), such as a search whose terms stay out of URLs."""

    message = "This API key may only read."
    code = "insufficient_scope"

    def has_permission(self, request: Request, view) -> bool:
        principal = request.auth
        if not isinstance(principal, TenantPrincipal):
            return False
        reads = request.method in SAFE_METHODS or getattr(view, "action", None) in getattr(view, "read_actions", ())
        return (READ if reads else WRITE) in principal.scopes


class TenantAPIViewMixin:
    """Runs each handler of an APIView inside its principal's tenant context and the
    organization's time zone. Authentication, permissions and throttles run first,
    before any tenant is set (they must not touch tenant data)."""

    def dispatch(self, request, *args, **kwargs):
        # As APIView.dispatch, with the handler inside the tenant context.
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.initial(request, *args, **kwargs)
            name = request.method.lower()
            handler = getattr(self, name, None) if name in self.http_method_names else None
            if handler is None:
                response = self.http_method_not_allowed(request, *args, **kwargs)
            else:
                response = self.run_in_tenant(request, handler, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def run_in_tenant(self, request: Request, handler, *args, **kwargs) -> Response:
        principal = request.auth
        if not isinstance(principal, TenantPrincipal):
            raise exceptions.NotAuthenticated()
        user = principal.user
        # An exception leaves this block before the tenant context commits its
        # savepoint: the handler's writes are rolled back with it.
        with tenant_context(org=principal.organization_id, user=user):
            if principal.on_enter is not None:
                principal.on_enter(principal)
            organization = getattr(request._request, "organization", None)
            if organization is None or organization.pk != principal.organization_id:
                organization = Organization.objects.get(pk=principal.organization_id)
            # The organization's status decides (tenancy.status): for an API key this
            # is where the clinic's status is checked; for a session, the product's
            # middleware has asked the same rule already.
            if status.refusal(organization, status.API):
                raise ClinicNotOpen(organization)
            request.organization = organization
            # Fields stay ISO 8601 whatever the locale; free text (a search) reads a
            # date in the clinic's order, as its pages do.
            with timezone.override(organization.zone), translation.override(organization.locale):
                return self.handle_in_tenant(request, handler, *args, **kwargs)

    def handle_in_tenant(self, request: Request, handler, *args, **kwargs) -> Response:
        """Call the handler; subclasses may wrap it (idempotency, say)."""
        return handler(request, *args, **kwargs)
