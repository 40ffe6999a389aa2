from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from clinic.accounts.models import User


@admin.register(User)
class PlatformUserAdmin(UserAdmin):
    """Users are global, so only platform superusers manage them here; clinic
    admins manage who belongs to their clinic through memberships."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser
