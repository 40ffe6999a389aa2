from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class ClinicAdminConfig(AdminConfig):
    """Django's admin app with the project's site as the default `admin.site`."""

    default_site = "clinic.accounts.two_factor.admin_site.ClinicAdminSite"
