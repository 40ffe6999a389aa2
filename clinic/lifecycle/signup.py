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
import secrets

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.mail import send_mail
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from clinic.accounts.client_ip import client_ip
from clinic.accounts.password_reset import _count, _digest
from clinic.audit.trail import Action, record
from clinic.core.dates import chosen_locale, locale_field
from tenancy.context import acting_user, tenant_context
from tenancy.decorators import without_active_org
from tenancy.models import Organization
from tenancy.services import organization_create
from tenancy.zones import ZoneField, ZoneInput

logger = logging.getLogger(__name__)
SALT = "clinic.lifecycle.signup"


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
    per_ip = _count(f"signup:ip:{client_ip(request)}", window)
    per_email = _count(f"signup:email:{_digest(email)}", window)
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


def sign_up(*, email: str, password: str, clinic_name: str, tz: str, locale: str = "") -> None:
    """A new user and clinic (trial), or, for a known address, only a mail saying so.
    No `locale`: the usual date order of the time zone's country."""
    users = get_user_model()
    known = users.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).first()
    if known is not None:
        make_password(password)  # as long as creating an account takes: no timing oracle
        if known.email_pending_verification:
            _mail_link(known)  # signed up before and lost the link: a fresh one
        else:
            _mail("lifecycle/signup_known_email.txt", email, {"login_url": _absolute(reverse("login"))})
        return
    user = users.objects.create_user(username=email, email=email, password=password)
    with acting_user(user):
        users.objects.filter(pk=user.pk).update(email_pending_verification=True)
    slug = f"{slugify(clinic_name)[:48] or 'clinic'}-{secrets.token_hex(3)}"
    trial = Organization.Status.TRIAL
    clinic = organization_create(
        name=clinic_name, slug=slug, timezone=tz, owner=user, status=trial, locale=chosen_locale(locale, tz)
    )
    with tenant_context(org=clinic.id, user=user):
        record(Action.CLINIC_CREATED, obj=clinic, changed_fields=["status"], user=user)
    _mail_link(user)


def _mail_link(user) -> None:
    token = signing.dumps(str(user.pk), salt=SALT)
    url = _absolute(reverse("lifecycle:signup_verify", kwargs={"token": token}))
    _mail("lifecycle/signup_verify_email.txt", user.email, {"url": url, "hours": settings.SIGNUP_VERIFY_HOURS})


def _mail(template: str, email: str, context: dict) -> None:
    send_mail("Your Clinic sign-up", render_to_string(template, context), None, [email])


def _absolute(path: str) -> str:
    return f"{settings.INVITATION_LINK_BASE_URL.rstrip('/')}{path}"


@without_active_org
@require_GET
def verify(request: HttpRequest, token: str) -> HttpResponse:
    _enabled()
    try:
        user_id = signing.loads(token, salt=SALT, max_age=settings.SIGNUP_VERIFY_HOURS * 3600)
    except signing.BadSignature:
        return render(request, "lifecycle/signup_link_invalid.html", status=400)
    with acting_user(user_id):
        get_user_model().objects.filter(pk=user_id).update(email_pending_verification=False)
    messages.success(request, "Your email address is confirmed: your clinic is ready.")
    if request.user.is_authenticated:
        return redirect("accounts:clinic_picker")
    return redirect("login")
