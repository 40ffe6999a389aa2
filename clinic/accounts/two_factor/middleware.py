"""A clinic that requires two-factor sign-in for its owners and admins: while one of
them works in it with a session that has not passed a second factor, every page of
the clinic sends them to set it up (or, if they have it, to enter a code), and the
session-authenticated API answers 403. Signing out, the two-factor pages, the second
step of signing in and the clinic picker stay open. Staff members are not affected;
neither are API keys (the tenant middleware leaves requests with a key alone, so no
membership is set here for them)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from clinic.accounts.services import two_factor_required_at_start
from clinic.accounts.two_factor.devices import has_two_factor
from clinic.accounts.two_factor.login import verify_url

OPEN_VIEWS = frozenset({"logout", "login", "login_verify", "accounts:clinic_picker", "accounts:clinic_switch"})
OPEN_NAMESPACES = frozenset({"two_factor"})


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        # Cheapest first: most requests stop at the role, before any query.
        membership = getattr(request, "membership", None)
        if membership is None or not membership.can_manage or _is_open(request):
            return None
        # Runs inside the tenant middleware's clinic context: the clinic's own setting,
        # read with the membership; the session's device only when it is required.
        if not two_factor_required_at_start(membership) or request.user.is_verified():
            return None
        clinic = request.organization.name
        if request.path.startswith("/api/"):
            message = f"{clinic} requires two-factor sign-in for owners and admins; sign in with a code first."
            return JsonResponse(
                {"error": {"code": "two_factor_required", "message": message, "fields": {}}}, status=403
            )
        if has_two_factor(request.user):
            messages.info(request, f"{clinic} requires two-factor sign-in. Enter a code from your app to go on.")
            return redirect(verify_url(request.get_full_path() if request.method == "GET" else "/"))
        messages.warning(request, f"{clinic} requires two-factor sign-in for owners and admins. Set it up to go on.")
        return redirect("two_factor:setup")


def _is_open(request: HttpRequest) -> bool:
    match = request.resolver_match
    return match is not None and (match.view_name in OPEN_VIEWS or match.namespace in OPEN_NAMESPACES)
