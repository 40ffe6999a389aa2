"""The "Two-factor sign-in" pages under /accounts/two-factor/, for any signed-in user:
the status, setting up an authenticator app, new recovery codes, and turning it off."""

from __future__ import annotations

from base64 import b32encode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from clinic.accounts.services import two_factor_required_at_start
from clinic.accounts.two_factor import devices
from clinic.accounts.two_factor.audit import record_two_factor_change
from clinic.accounts.two_factor.forms import AppCodeForm, TurnOffForm
from clinic.accounts.two_factor.login import code_error, verify_url
from clinic.accounts.two_factor.qr import qr_svg
from clinic.audit.trail import Action


def _required_here(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and two_factor_required_at_start(membership)


def _render_status(request: HttpRequest, turn_off_form: TurnOffForm | None = None) -> HttpResponse:
    user = request.user
    codes_left = devices.recovery_codes_left(user)
    context = {
        "enabled": devices.has_two_factor(user),
        "verified": user.is_verified(),
        "codes_left": codes_left,
        "required_here": _required_here(request),
        "turn_off_form": turn_off_form or TurnOffForm(recovery_codes=codes_left > 0),
    }
    status = 400 if turn_off_form is not None and turn_off_form.errors else 200
    return render(request, "accounts/two_factor/status.html", context, status=status)


@login_required
@require_GET
def status(request: HttpRequest) -> HttpResponse:
    return _render_status(request)


@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if devices.has_two_factor(user):
        messages.info(request, "Two-factor sign-in is already on.")
        return redirect("two_factor:status")
    device = devices.pending_app_device(user)
    form = AppCodeForm(request.POST or None)
    if form.is_valid():
        result, codes = devices.confirm_app_device(device, form.cleaned_data["code"])
        if result.ok:
            # A new session key for the newly verified session, as after signing in.
            request.session.cycle_key()
            otp_login(request, result.device)
            record_two_factor_change(user, Action.TWO_FACTOR_ON)
            messages.success(request, "Two-factor sign-in is on. From now on you sign in with a code from your app.")
            return _render_codes(request, codes)
        # Recovery codes are made once the app is set up: none to suggest yet.
        form.add_error("code", code_error(result, recovery_codes=False))
    context = {
        "form": form,
        "qr_svg": mark_safe(qr_svg(device.config_url, label="QR code for your authenticator app")),  # noqa: S308 (our own SVG)
        "secret": _grouped(b32encode(device.bin_key).decode()),
    }
    return render(request, "accounts/two_factor/setup.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New codes replace the old ones; only a session that passed a second factor may
    make them (they are one)."""
    if not devices.has_two_factor(request.user):
        return redirect("two_factor:status")
    if not request.user.is_verified():
        messages.info(request, "Enter a code from your app first.")
        return redirect(verify_url(reverse("two_factor:status")))
    codes = devices.new_recovery_codes(request.user)
    record_two_factor_change(request.user, Action.RECOVERY_CODES)
    messages.success(request, "New recovery codes are ready; the old ones no longer work.")
    return _render_codes(request, codes)


@login_required
@require_POST
def turn_off(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not devices.has_two_factor(user):
        return redirect("two_factor:status")
    if _required_here(request):
        messages.error(request, f"{request.organization.name} requires two-factor sign-in for owners and admins.")
        return redirect("two_factor:status")
    form = TurnOffForm(request.POST, recovery_codes=devices.recovery_codes_left(user) > 0)
    if form.is_valid():
        result = devices.check_code(user, form.cleaned_data["code"])
        if result.ok:
            devices.remove_two_factor(user)
            record_two_factor_change(user, Action.TWO_FACTOR_OFF)
            messages.success(request, "Two-factor sign-in is off. You sign in with your password alone.")
            return redirect("two_factor:status")
        form.add_error("code", code_error(result, recovery_codes=form.recovery_codes))
    return _render_status(request, form)


def _render_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    # Shown in this response only: nothing keeps them to show again.
    return render(request, "accounts/two_factor/recovery_codes.html", {"codes": codes})


def _grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
