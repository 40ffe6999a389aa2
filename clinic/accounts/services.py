"""Writes to the accounts app's clinic data: the clinic's security settings."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from clinic.accounts.models import SecuritySettings
from clinic.audit.trail import Action, record
from tenancy.models import Membership


def security_settings_get() -> SecuritySettings:
    """The current clinic's settings, or unsaved defaults when it has none yet."""
    return SecuritySettings.objects.first() or SecuritySettings()


def two_factor_required(membership: Membership) -> bool:
    """Whether the member's clinic asks them for two-factor sign-in (owners and
    admins, when the clinic requires it). Read in the member's clinic context."""
    return membership.can_manage and SecuritySettings.objects.filter(require_two_factor=True).exists()


@transaction.atomic
def security_settings_save(*, require_two_factor: bool, changed_by: Membership, verified: bool) -> SecuritySettings:
    """Owners only. Turning the requirement on needs the owner's own session to have
    passed a second factor: otherwise the next page would lock them out to set it up."""
    if changed_by.role != Membership.Role.OWNER:
        raise ValidationError("Only the clinic's owners can change its security settings.", code="not_owner")
    if require_two_factor and not verified:
        raise ValidationError(
            "Set up two-factor sign-in for yourself first, then require it.", code="owner_without_two_factor"
        )
    current = SecuritySettings.objects.select_for_update().first() or SecuritySettings()
    if not current._state.adding and current.require_two_factor == require_two_factor:
        return current
    current.require_two_factor = require_two_factor
    current.save()
    record(Action.UPDATE, obj=current, changed_fields=("require_two_factor",))
    return current
