from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from clinic.accounts.models import User
from clinic.accounts.two_factor.audit import record_two_factor_change
from clinic.accounts.two_factor.devices import remove_two_factor
from clinic.audit.trail import Action, user_actor


@admin.register(User)
class PlatformUserAdmin(UserAdmin):
    """Users are global, so only platform superusers manage them here; clinic
    admins manage who belongs to their clinic through memberships."""

    actions = ["remove_two_factor"]
    # No groups or global permissions: what a user may do comes from their clinic
    # memberships, and the runtime role may not write Django's permission tables.
    fieldsets = [
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Platform access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    ]
    list_filter = ("is_staff", "is_superuser", "is_active")

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        # People leave by being deactivated ("Active" off), not deleted: the admin's
        # log names them, and the runtime role may only add to that log.
        return False

    @admin.action(description="Remove two-factor sign-in (a lost phone)", permissions=["change"])
    def remove_two_factor(self, request, queryset) -> None:
        """As `manage.py two_factor_reset`, by the superuser: recorded in each of the
        user's clinics with the superuser as the actor."""
        names = []
        for user in queryset:
            if remove_two_factor(user):
                record_two_factor_change(user, Action.TWO_FACTOR_RESET, actor=user_actor(request.user))
                names.append(str(user))
        if names:
            self.message_user(request, f"Removed two-factor sign-in of {', '.join(names)}.", messages.SUCCESS)
        else:
            self.message_user(request, "None of them had two-factor sign-in.", messages.INFO)
