"""Sign-in, and the clinic picker and switcher."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.views.decorators.http import require_GET, require_POST

from clinic.accounts.forms import ClinicSwitchForm
from clinic.accounts.middleware import SIGNED_OUT_IDLE_KEY, SIGNED_OUT_LIFETIME_KEY
from clinic.audit.trail import Action, record_in
from tenancy.context import tenant_context
from tenancy.decorators import runs_without_active_org
from tenancy.models import Membership
from tenancy.session import activate_org, forget_active_org, memberships_for


class ClinicLoginView(LoginView):
    """After signing in: one clinic → it becomes active and the user goes on to the
    page they asked for; several → the picker; none → the picker says so."""

    redirect_authenticated_user = True

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.session.pop(SIGNED_OUT_IDLE_KEY, False):
            minutes = settings.SESSION_IDLE_TIMEOUT_MINUTES
            messages.info(request, f"You were signed out after {minutes} minutes without activity. Sign in again.")
        if request.session.pop(SIGNED_OUT_LIFETIME_KEY, False):
            hours = settings.SESSION_ABSOLUTE_LIFETIME_HOURS
            messages.info(request, f"You were signed out {hours} hours after signing in. Sign in again.")
        return super().get(request, *args, **kwargs)

    def form_valid(self, form) -> HttpResponse:
        user = form.get_user()
        auth_login(self.request, user)
        # Signed out a moment ago, the tenant middleware opened no context for this
        # request; the user may read their own memberships only inside one.
        with tenant_context(user=user):
            forget_active_org(self.request)
            memberships = memberships_for(user)
            if len(memberships) == 1:
                activate_org(self.request, memberships[0].organization_id)
                return redirect(self.get_success_url())
        # A page that needs no active clinic (an invitation to join one) comes first.
        next_url = self.get_redirect_url()
        if next_url and runs_without_active_org(urlsplit(next_url).path):
            return redirect(next_url)
        return redirect("accounts:clinic_picker")


class ClinicLogoutView(LogoutView):
    """POST only (Django's LogoutView refuses GET): a link cannot sign anyone out."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have signed out.")
        return response


@login_required
@require_GET
def clinic_picker(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/clinic_picker.html", {"memberships": memberships_for(request.user)})


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
