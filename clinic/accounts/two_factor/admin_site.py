"""The project's admin site (`admin.site`, see two_factor/apps.py): /admin/ needs a
session that passed a second factor, whatever the clinic requires (django-otp's
OTPAdminSite makes the same check). The admin never shows its own password form: it
would sign people in without their second factor, so its login page hands over to the
project's two-step sign-in, to the second step, or to setting two-factor sign-in up."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from clinic.accounts.sign_in import local_path
from clinic.accounts.two_factor.devices import has_two_factor
from clinic.accounts.two_factor.login import verify_url
from clinic.core.admin_search import PostAutocompleteJsonView

# Other projects' apps a superuser sees, named for the people who run the clinics: their
# own names ("Axes", "Procrastinate") say nothing to them. The project's apps and models
# carry their names in apps.py and Meta.
THIRD_PARTY_NAMES = {
    "auth": ("Permission groups", {"group": "Groups"}),
    "axes": (
        "Sign-in lockouts",
        {"accessattempt": "Locked-out sign-ins", "accessfailurelog": "Failed sign-ins", "accesslog": "Sign-ins"},
    ),
    "procrastinate": ("Background jobs", {"procrastinatejob": "Jobs"}),
}


class ClinicAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and request.user.is_verified()

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        user = request.user
        next_url = local_path(request.GET.get("next", ""), default=reverse("admin:index", current_app=self.name))
        if not user.is_authenticated:
            return redirect_to_login(next_url)
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("No access to the admin.")
        if user.is_verified():
            return redirect(next_url)
        if has_two_factor(user):
            messages.info(request, "Enter a code from your authenticator app to open the admin.")
            return redirect(verify_url(next_url))
        messages.warning(request, "The admin needs two-factor sign-in. Set it up, then open the admin again.")
        return redirect("two_factor:setup")

    def get_app_list(self, request: HttpRequest, app_label=None) -> list[dict]:
        app_list = super().get_app_list(request, app_label)
        for app in app_list:
            name, models = THIRD_PARTY_NAMES.get(app["app_label"], (app["name"], {}))
            app["name"] = name
            for model in app["models"]:
                model["name"] = models.get(model["object_name"].lower(), model["name"])
        return app_list

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        # By POST only: what is typed may be a patient's name (clinic.core.admin_search).
        return PostAutocompleteJsonView.as_view(admin_site=self)(request)
