"""Signing in, a clinic's members and their second factor."""

from django.db import models

from clinic.audit.actions import register


class AuditAction(models.TextChoices):
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOGOUT = "logout", "Signed out"
    CLINIC_SWITCH = "clinic_switch", "Switched clinic"
    MEMBER_ADDED = "member_added", "Member added"
    ROLE_CHANGED = "role_changed", "Role changed"
    MEMBER_REMOVED = "member_removed", "Member removed"
    TWO_FACTOR_ON = "two_factor_on", "Two-factor sign-in turned on"
    TWO_FACTOR_OFF = "two_factor_off", "Two-factor sign-in turned off"
    RECOVERY_CODES = "recovery_codes", "New recovery codes"
    TWO_FACTOR_RESET = "two_factor_reset", "Two-factor sign-in removed by an operator"


register("accounts", AuditAction)
