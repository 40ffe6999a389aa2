"""Public sign-up (settings.ALLOW_SIGNUP; off, every page here is a 404): a new user
and their clinic, in `trial`, through the onboarding service
(tenancy.services.organization_create).

The clinic cannot be used before the address is proven: the user is created with
`email_pending_verification`, and until they open the emailed link (signed, expiring
after SIGNUP_VERIFY_HOURS) every page they open signed in says "check your email"
(clinic.lifecycle.middleware) and shows no clinic.

No account-existence oracle: for an address that has an account already, nothing is
created and the email sent there says so (with the sign-in and password reset
links); the page answers exactly as for a new address. Requests are limited per client
address and per email address, as password resets are (both mail a link)."""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, password_validation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from clinic.accounts.client_ip import client_ip
from clinic.accounts.mail_limits import count_in_window, email_digest
from clinic.core.dates import locale_field
from clinic.lifecycle.onboarding import email_verify, sign_up
from tenancy.decorators import without_active_org
from tenancy.zones import ZoneField, ZoneInput

logger = logging.getLogger(__name__)


class SignupForm(forms.Form):
    clinic_name = forms.CharField(label="Your clinic's name", max_length=200)
    timezone = ZoneField(
        label="Time zone",
        widget=ZoneInput(attrs={"placeholder": "Type a city, such as Chicago"}, guess=True),
        help_text="Your clinic's schedule, texts and calendars run on it.",
    )
    locale = locale_field(from_timezone=True)
    email = forms.EmailField(label="Your email address", help_text="You sign in with it; we send a link to it.")
    password = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("email") and data.get("password"):
            email = data["email"].strip().lower()
            candidate = get_user_model()(username=email, email=email)
            try:
                password_validation.validate_password(data["password"], candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


def _enabled() -> None:
    if not settings.ALLOW_SIGNUP:
        raise Http404("No such page.")


def _throttled(request: HttpRequest, email: str) -> bool:
    window = settings.SIGNUP_LIMIT_WINDOW_MINUTES * 60
    # Both counted, always: a refusal for one must not leave the other unspent.
    per_ip = count_in_window(f"signup:ip:{client_ip(request)}", window)
    per_email = count_in_window(f"signup:email:{email_digest(email)}", window)
    return per_ip > settings.SIGNUP_LIMIT_PER_IP or per_email > settings.SIGNUP_LIMIT_PER_EMAIL


@without_active_org
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    _enabled()
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        if _throttled(request, email):
            logger.warning("Sign-up refused: too many requests from %s or for one address", client_ip(request))
            context = {"minutes": settings.SIGNUP_LIMIT_WINDOW_MINUTES}
            response = render(request, "lifecycle/signup_throttled.html", context, status=429)
            response["Retry-After"] = str(settings.SIGNUP_LIMIT_WINDOW_MINUTES * 60)
            return response
        sign_up(
            email=email,
            password=form.cleaned_data["password"],
            clinic_name=form.cleaned_data["clinic_name"].strip(),
            tz=form.cleaned_data["timezone"],
            locale=form.cleaned_data["locale"],
        )
        return render(request, "lifecycle/signup_check_email.html", {"email": email})
    status = 400 if request.method == "POST" else 200
    return render(request, "lifecycle/signup.html", {"form": form}, status=status)


@without_active_org
@require_GET
def verify(request: HttpRequest, token: str) -> HttpResponse:
    _enabled()
    if not email_verify(token):
        return render(request, "lifecycle/signup_link_invalid.html", status=400)
    messages.success(request, "Your email address is confirmed: your clinic is ready.")
    if request.user.is_authenticated:
        return redirect("accounts:clinic_picker")
    return redirect("login")
