"""Every page of a clinic that is not open obeys its status, whatever the page.

Runs inside the tenant middleware, so `request.organization` is the clinic active in
the session, read afresh on this request (a suspension takes effect at once). What
the page is comes from its URL's classification, and what its clinic's status allows
there from the one rule (clinic.core.status):

- suspended: the suspended page (403), which says so and whom to contact and shows
  no clinic data; under /api/ (a signed-in member's session) the API's JSON error.
  URLs that act for no clinic (signing out, the clinic picker and switcher, the
  platform console) still work.
- closed: the session's clinic is forgotten and the user goes to the picker, which
  no longer offers it (tenancy.session.memberships_for).

API keys are refused in tenancy.drf, worker jobs in tenancy.jobs, both through the
same rule; the feed, the confirmation link and the export ask it in their views."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve

from clinic.api.errors import body
from clinic.core.status import NoClinic, Surface, Verdict, decide, url_classification
from tenancy.models import Organization
from tenancy.session import forget_active_org

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


# The surfaces that work in the session's active clinic. The others (a feed, a
# patient's link, an export, an invitation, the SMS webhooks) find their own clinic,
# whatever the session's, and ask the rule about that one in their views.
SESSION_SURFACES = frozenset({Surface.STAFF_PAGE, Surface.ADMIN, Surface.API})


def surface_of(request: HttpRequest) -> Surface | None:
    """The surface a request opens in the session's active clinic; None for a URL that
    acts for no clinic or finds its own. A path that resolves to nothing, or to a URL
    nobody classified, is a staff page (fail closed; the test suite classifies every
    URL)."""
    match = _resolved(request)
    if match is None:
        return Surface.API if request.path_info.startswith("/api/") else Surface.STAFF_PAGE
    view = match.func
    classified = url_classification(
        match.url_name and match.view_name, f"{view.__module__}.{view.__name__}", match.namespace
    )
    if isinstance(classified, NoClinic):
        return None
    if not classified:
        return Surface.STAFF_PAGE
    return classified[0] if classified[0] in SESSION_SURFACES else None


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
        surface = surface_of(request) if clinic is not None else None
        if surface is None:
            return self.get_response(request)
        verdict = decide(clinic, surface)
        if verdict is Verdict.ALLOW:
            return self.get_response(request)
        is_api = surface is Surface.API
        if verdict is Verdict.CLOSED:
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
