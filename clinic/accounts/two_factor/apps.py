from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class ClinicAdminConfig(AdminConfig):
    """Django's admin app with the project's site as the default `admin.site`."""

    default_site = "clinic.accounts.two_factor.admin_site.ClinicAdminSite"

    def ready(self) -> None:
        super().ready()  # autodiscovers every app's admin module
        from django.contrib import admin
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        # django-otp's own device admins would let a superuser read a user's TOTP key or
        # delete their second factor past the audit trail; the user admin's action and
        # `manage.py two_factor_reset` remove devices, and record it.
        for model in (TOTPDevice, StaticDevice):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
