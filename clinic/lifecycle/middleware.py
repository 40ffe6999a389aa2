"""Every page of a clinic that is not open obeys its status, whatever the page.

Runs inside the tenant middleware, so `request.organization` is the clinic active in
the session, read afresh on this request (a suspension takes effect at once):

- suspended: the suspended page (403), which says so and whom to contact and shows
  no clinic data; under /api/ (a signed-in member's session) the API's JSON error.
  Signing out, the clinic picker and switcher, and the platform console still work.
- closed: the session's clinic is forgotten and the user goes to the picker, which
  no longer offers it (tenancy.session.memberships_for).

API keys are refused in tenancy.drf, worker jobs in their tasks."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve

from clinic.api.errors import body
from tenancy.models import Organization
from tenancy.session import forget_active_org

# Pages that never show clinic data and let a user leave a suspended clinic.
OPEN_URL_NAMES = frozenset({"logout", "accounts:clinic_picker", "accounts:clinic_switch"})


def exempt_from_clinic_status(view):
    """For pages that are not the active clinic's (the platform console)."""
    view.clinic_status_exempt = True
    return view


# What a user who signed up may open before proving their address.
PENDING_URL_NAMES = frozenset({"logout", "lifecycle:signup_verify"})


def _resolved(request: HttpRequest):
    try:
        return resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return None


def _is_page(request: HttpRequest, names: frozenset[str]) -> bool:
    match = _resolved(request)
    return match is not None and match.view_name in names


def _is_open_page(request: HttpRequest) -> bool:
    match = _resolved(request)
    return match is not None and (
        match.view_name in OPEN_URL_NAMES or getattr(match.func, "clinic_status_exempt", False)
    )


def suspended_message(clinic: Organization) -> str:
    return f"{clinic.name} is suspended. Contact {settings.CLINIC_SUPPORT_CONTACT} to have it reactivated."


class ClinicStatusMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if getattr(user, "email_pending_verification", False) and not _is_page(request, PENDING_URL_NAMES):
            # Signed up, address not proven yet: no clinic, whatever the page.
            forget_active_org(request)
            request.organization = request.membership = None
            return render(request, "lifecycle/signup_pending.html", {"email": user.email}, status=403)
        clinic: Organization | None = getattr(request, "organization", None)
        if clinic is None or clinic.is_open or _is_open_page(request):
            return self.get_response(request)
        is_api = request.path_info.startswith("/api/")
        if clinic.status == Organization.Status.CLOSED:
            forget_active_org(request)
            request.organization = request.membership = None
            if is_api:
                return JsonResponse(body("clinic_closed", f"{clinic.name} is closed."), status=403)
            messages.info(request, f"{clinic.name} is closed.")
            return redirect(settings.TENANCY_PICKER_URL)
        if is_api:
            return JsonResponse(body("clinic_suspended", suspended_message(clinic)), status=403)
        context = {"clinic": clinic, "contact": settings.CLINIC_SUPPORT_CONTACT, "membership": request.membership}
        return render(request, "lifecycle/suspended.html", context, status=403)
