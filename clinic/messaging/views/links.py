"""The confirmation page a text links to (`/c/<token>`): no login, the patient's
first name, the clinic and the time, and Confirm / Cancel buttons (POST, CSRF).

The token is checked in three steps: its HMAC (a tampered token gets the friendly
page without a database query), its hash through the one narrow lookup (hash ->
clinic), then the request inside that clinic's tenant context. Expired, used or
unknown: the same friendly page, and nothing changes.

A clinic whose status refuses the link (suspended, closed: clinic.core.status,
asked for GET and POST alike) gets a neutral page, 403, that names no patient and no
appointment and asks them to call the clinic; a POST changes nothing."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_http_methods

from clinic.appointments.models import Appointment
from clinic.core.status import Surface, allows
from clinic.messaging import tokens
from clinic.messaging.inbound import respond_by_link
from clinic.messaging.models import ConfirmationRequest
from tenancy.context import TenantContextError, tenant_context
from tenancy.lookups import organization_for
from tenancy.models import Organization

TEMPLATE = "messaging/confirm.html"


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    token_hash = tokens.verified_hash(token)
    org_id = organization_for("messaging_clinic_for_token", token_hash) if token_hash else None
    if org_id is None:
        return _invalid(request)
    try:
        with tenant_context(org=org_id):
            clinic = Organization.objects.filter(pk=org_id).first()
            surface = Surface.LINK_POST if request.method == "POST" else Surface.LINK_GET
            if clinic is None or not allows(clinic, surface):
                return _unavailable(request)
            return _confirm_in_clinic(request, token_hash)
    except TenantContextError:
        # A signed-in member of another clinic opened a patient's link.
        return _invalid(request)


def _confirm_in_clinic(request: HttpRequest, token_hash: str) -> HttpResponse:
    confirmation = (
        ConfirmationRequest.objects.select_related("appointment__patient").filter(token_hash=token_hash).first()
    )
    clinic = Organization.objects.get(pk=confirmation.organization_id) if confirmation else None
    problem = _why_closed(confirmation) if confirmation else "invalid"
    if problem:
        return _page(request, problem, confirmation, clinic, status=410 if problem != "invalid" else 404)
    if request.method == "POST":
        choice = request.POST.get("answer")
        if choice not in ("confirm", "cancel"):
            return _page(request, "open", confirmation, clinic, error="Choose Confirm or Cancel.", status=400)
        try:
            respond_by_link(request=confirmation, confirm=choice == "confirm")
        except ValidationError:
            return _page(request, "closed", confirmation, clinic, status=409)
        confirmation.refresh_from_db()
        return _page(request, "answered", confirmation, clinic)
    return _page(request, "open", confirmation, clinic)


def _why_closed(confirmation: ConfirmationRequest) -> str:
    appointment = confirmation.appointment
    if confirmation.response:
        return "used"
    now = timezone.now()
    if confirmation.expires_at <= now or appointment.starts_at <= now:
        return "expired"
    if (
        appointment.starts_at != confirmation.appointment_starts_at
        or appointment.status != Appointment.Status.SCHEDULED
    ):
        return "closed"
    return ""


def _page(request, state: str, confirmation, clinic, *, error: str = "", status: int = 200) -> HttpResponse:
    context = {"state": state, "error": error, "clinic": clinic}
    if confirmation is not None and clinic is not None:
        appointment = confirmation.appointment
        context.update(
            first_name=appointment.patient.first_name,
            starts_at=appointment.starts_at.astimezone(clinic.zone),
            response=confirmation.response,
        )
    # Times in the clinic's own zone, as the text said them, and the date in its order.
    with (
        timezone.override(clinic.zone if clinic else timezone.get_current_timezone()),
        translation.override(clinic.locale if clinic else translation.get_language()),
    ):
        response = render(request, TEMPLATE, context, status=status)
    # The token is in the path: nothing caches the page, and (SECURE_REFERRER_POLICY =
    # same-origin) no other site is told the URL. Not no-referrer: Chromium then posts
    # the form with `Origin: null`, which the CSRF check rightly refuses.
    response["Cache-Control"] = "no-store"
    return response


def _invalid(request: HttpRequest) -> HttpResponse:
    return _page(request, "invalid", None, None, status=404)


def _unavailable(request: HttpRequest) -> HttpResponse:
    # Nothing of the appointment is read: the page is the same for every link.
    return _page(request, "unavailable", None, None, status=403)
