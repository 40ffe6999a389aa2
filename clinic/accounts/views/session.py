"""Sign-in, and the clinic picker and switcher."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.views.decorators.http import require_GET, require_POST

from clinic.accounts.forms import ClinicSwitchForm, SignInForm
from clinic.accounts.middleware import SIGNED_OUT_IDLE_KEY, SIGNED_OUT_LIFETIME_KEY
from clinic.accounts.sign_in import enter_after_sign_in, local_path
from clinic.accounts.two_factor.devices import has_two_factor
from clinic.accounts.two_factor.login import forget_pending, start_second_step
from clinic.audit.trail import Action, record_in
from clinic.core.status import closed_clinics_offered
from tenancy.models import Membership
from tenancy.session import activate_org, closed_memberships_for, memberships_for


class ClinicLoginView(LoginView):
    """After the password: a user with two-factor sign-in goes on to the second step
    (two_factor.login), not yet signed in; anyone else is signed in and lands as
    sign_in.enter_after_sign_in says."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.session.pop(SIGNED_OUT_IDLE_KEY, False):
            minutes = settings.SESSION_IDLE_TIMEOUT_MINUTES
            messages.info(request, f"You were signed out after {minutes} minutes without activity. Sign in again.")
        if request.session.pop(SIGNED_OUT_LIFETIME_KEY, False):
            hours = settings.SESSION_ABSOLUTE_LIFETIME_HOURS
            messages.info(request, f"You were signed out {hours} hours after signing in. Sign in again.")
        # Back on the first step: a half-finished sign-in is abandoned.
        forget_pending(request)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs) -> dict:
        return {**super().get_context_data(**kwargs), "allow_signup": settings.ALLOW_SIGNUP}

    def form_valid(self, form) -> HttpResponse:
        user = form.get_user()
        next_url = local_path(self.get_success_url())
        if has_two_factor(user):
            return start_second_step(self.request, user, next_url)
        auth_login(self.request, user)
        return enter_after_sign_in(self.request, user, next_url)


class ClinicLogoutView(LogoutView):
    """POST only (Django's LogoutView refuses GET): a link cannot sign anyone out."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have signed out.")
        return response


@login_required
@require_GET
def clinic_picker(request: HttpRequest) -> HttpResponse:
    context = {
        "memberships": memberships_for(request.user),
        # A closed clinic is not offered; its owners may still download its export.
        "closed_clinics": closed_clinics_offered(closed_memberships_for(request.user)),
    }
    return render(request, "accounts/clinic_picker.html", context)


@login_required
@require_POST
def clinic_switch(request: HttpRequest) -> HttpResponse:
    form = ClinicSwitchForm(request.POST)
    if not form.is_valid():
        raise Http404("No such clinic.")
    # The user's own membership or nothing: someone else's id is a 404 like a bogus one.
    membership = get_object_or_404(
        Membership.objects.select_related("organization"), pk=form.cleaned_data["membership"], user=request.user
    )
    activate_org(request, membership.organization_id)
    record_in(membership.organization_id, Action.CLINIC_SWITCH, user=request.user, obj=membership.organization)
    messages.success(request, f"Now working in {membership.organization.name}.")
    return redirect(resolve_url(settings.LOGIN_REDIRECT_URL))
