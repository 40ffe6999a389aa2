from __future__ import annotations

import uuid

from asgiref.sync import sync_to_async
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, router, transaction

from clinic.accounts import passwords
from tenancy.context import acting_user, granted
from tenancy.models import TenantModel

# The grant a transaction needs to change anyone's is_staff or is_superuser (the
# trigger of migration accounts/0004); User.save() asks for it when they change.
PLATFORM_ROLES_GRANT = "platform_roles"


class User(AbstractUser):
    """A person who signs in. Users are global; what they may see comes from their
    clinic memberships (tenancy.Membership), never from the user row itself."""

    # A UUID, so ids say nothing about how many people use the platform.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", unique=True)
    # Signed up on the public page and not yet through the emailed link: signed in,
    # they see only "check your email" (clinic.lifecycle.views.signup), never their clinic.
    email_pending_verification = models.BooleanField(default=False, editable=False)
    # Django's hash, sealed to this user (clinic.accounts.passwords): longer than a hash.
    password = models.CharField("password", max_length=512)

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._stored_platform_roles = (user.__dict__.get("is_staff"), user.__dict__.get("is_superuser"))
        return user

    def save(self, *args, **kwargs) -> None:
        if passwords.needs_sealing(self.password):
            self.password = passwords.seal(self.password, self.pk)
        roles = (self.is_staff, self.is_superuser)
        stored = getattr(self, "_stored_platform_roles", (False, False))
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        # Only a user's own row is theirs to change (migration accounts/0004): a save
        # outside any request's user (signing in, a password reset link, a command)
        # is made as the user saved.
        with acting_user(self, using=using), transaction.atomic(using=using):
            if roles == stored:
                super().save(*args, **kwargs)
            else:
                # Only the app server's own save may change platform roles: SQL running
                # as the runtime role cannot sign the grant the database's trigger asks for.
                with granted(PLATFORM_ROLES_GRANT, using=using):
                    super().save(*args, **kwargs)
        self._stored_platform_roles = roles

    def check_password(self, raw_password: str) -> bool:
        encoded = passwords.unseal(self.password, self.pk)
        if encoded is None:
            make_password(raw_password)  # as long as a real check takes
            return False

        def reseal(raw: str) -> None:
            self.set_password(raw)
            self._password = None
            self.save(update_fields=["password"])

        if not check_password(raw_password, encoded, reseal):
            return False
        if not passwords.sealed_with_current_key(self.password):
            reseal(raw_password)
        return True

    async def acheck_password(self, raw_password: str) -> bool:
        return await sync_to_async(self.check_password)(raw_password)


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
