"""The second step of signing in, at /accounts/login/verify/.

After a correct password, a user with two-factor sign-in is not signed in: the session
only remembers, server-side, who is half-way (their id, the authentication backend,
their session hash, where to go next, and when), for PENDING_SECONDS. Every page still
treats the request as anonymous. Only a valid code calls `login()`, then django-otp's
`login()`, which marks the session as verified by that device.

The same page also verifies a session that is signed in but not yet verified (the
user set up two-factor sign-in in another browser) when a clinic or /admin/ asks."""

from __future__ import annotations

import math
import time

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from clinic.accounts.sign_in import enter_after_sign_in, local_path
from clinic.accounts.two_factor.audit import record_failed_code
from clinic.accounts.two_factor.devices import CodeCheck, check_code, has_two_factor, recovery_codes_left
from clinic.accounts.two_factor.forms import SignInCodeForm

PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 5 * 60


def start_second_step(request: HttpRequest, user, next_url: str) -> HttpResponse:
    """The password was right: remember who is half-way and ask for the code."""
    # A new session key, as login() would give: the half-way state must not be
    # reachable through a session id known before the password was typed.
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": str(user.pk),
        "backend": user.backend,
        "hash": user.get_session_auth_hash(),
        "next": next_url,
        "since": time.time(),
    }
    return redirect("login_verify")


def forget_pending(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def _pending(request: HttpRequest) -> tuple[object | None, dict]:
    """The half-signed-in user, if the state is fresh and the password unchanged since."""
    state = request.session.get(PENDING_KEY)
    if not isinstance(state, dict) or time.time() - state.get("since", 0) > PENDING_SECONDS:
        return None, {}
    user = get_user_model().objects.filter(pk=state.get("user"), is_active=True).first()
    if user is None or not constant_time_compare(state.get("hash", ""), user.get_session_auth_hash()):
        return None, {}
    return user, state


def verify_url(next_url: str) -> str:
    return f"{reverse('login_verify')}?{urlencode({'next': local_path(next_url)})}"


@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return _verify_session(request)
    user, state = _pending(request)
    if user is None:
        forget_pending(request)
        messages.info(request, "Sign in again: the time for the second step ran out.")
        return redirect("login")
    form = SignInCodeForm(request.POST or None, recovery_codes=recovery_codes_left(user) > 0)
    if form.is_valid():
        result = check_code(user, form.cleaned_data["code"])
        if result.ok:
            forget_pending(request)
            auth_login(request, user, backend=state["backend"])
            otp_login(request, result.device)
            return enter_after_sign_in(request, user, state["next"])
        _add_code_error(form, result, user)
    return _render_page(request, form)


def _verify_session(request: HttpRequest) -> HttpResponse:
    """A signed-in user whose session has not passed a second factor yet."""
    next_url = local_path(request.GET.get("next", ""))
    if request.user.is_verified() or not has_two_factor(request.user):
        return redirect(next_url)
    form = SignInCodeForm(request.POST or None, recovery_codes=recovery_codes_left(request.user) > 0)
    if form.is_valid():
        result = check_code(request.user, form.cleaned_data["code"])
        if result.ok:
            request.session.cycle_key()
            otp_login(request, result.device)
            return redirect(next_url)
        _add_code_error(form, result, request.user)
    return _render_page(request, form)


def _render_page(request: HttpRequest, form: SignInCodeForm) -> HttpResponse:
    context = {"form": form, "recovery_codes": form.recovery_codes}
    return render(request, "registration/login_verify.html", context, status=400 if form.errors else 200)


def _add_code_error(form: SignInCodeForm, result: CodeCheck, user) -> None:
    form.add_error("code", code_error(result, recovery_codes=form.recovery_codes))
    if result.throttled_until is None:
        record_failed_code(user)


def code_error(result: CodeCheck, *, recovery_codes: bool) -> str:
    """What a refused code says: recovery codes are suggested only to someone who has
    unused ones (not while setting up, before any exist)."""
    if result.throttled_until is not None:
        wait = max(1, math.ceil((result.throttled_until - timezone.now()).total_seconds()))
        return f"Too many wrong codes. Wait {wait} second{'s' if wait != 1 else ''}, then try again."
    if recovery_codes:
        return "That code is not right. Enter the code your app shows now, or an unused recovery code."
    return "That code is not right. Enter the code your app shows now."
