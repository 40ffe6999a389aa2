from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from tenancy.models import TenantModel


class User(AbstractUser):
    """A person who signs in. Users are global; what they may see comes from their
    clinic memberships (tenancy.Membership), never from the user row itself."""

    # A UUID, so ids say nothing about how many people use the platform.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", unique=True)
    # Signed up on the public page and not yet through the emailed link: signed in,
    # they see only "check your email" (clinic.lifecycle.signup), never their clinic.
    email_pending_verification = models.BooleanField(default=False, editable=False)

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class SecuritySettings(TenantModel):
    """How a clinic's people sign in: one row per clinic, made when an owner first
    saves the security settings (no row means the defaults)."""

    require_two_factor = models.BooleanField(
        "Require two-factor sign-in for owners and admins",
        default=False,
        help_text="Owners and admins without two-factor sign-in are asked to set it up before anything else.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = "security settings"
        verbose_name_plural = "security settings"
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organization"], name="accounts_securitysettings_one_per_org"),
        ]

    def __str__(self) -> str:
        return "Security settings"
