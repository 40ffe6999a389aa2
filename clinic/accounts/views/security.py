"""The clinic's security settings at /settings/security/: owners require two-factor
sign-in for owners and admins; admins see the setting; anyone else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from clinic.accounts.services import security_settings_get, security_settings_save
from clinic.accounts.two_factor.devices import has_two_factor
from clinic.accounts.two_factor.forms import SecuritySettingsForm
from tenancy.decorators import manager_required
from tenancy.models import Membership


@manager_required
@require_http_methods(["GET", "POST"])
def security_settings_page(request: HttpRequest) -> HttpResponse:
    stored = security_settings_get()
    is_owner = request.membership.role == Membership.Role.OWNER
    form = SecuritySettingsForm(
        request.POST if request.method == "POST" else None, initial={"require_two_factor": stored.require_two_factor}
    )
    if form.is_bound and form.is_valid():
        try:
            security_settings_save(
                require_two_factor=form.cleaned_data["require_two_factor"],
                changed_by=request.membership,
                verified=request.user.is_verified(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Saved the security settings.")
            return redirect("accounts:security")
    context = {
        "form": form,
        "stored": stored,
        "is_owner": is_owner,
        "you_have_two_factor": has_two_factor(request.user),
    }
    return render(request, "accounts/security_settings.html", context, status=400 if form.errors else 200)
