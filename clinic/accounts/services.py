"""Writes to the accounts app's clinic data: the clinic's security settings."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef

from clinic.accounts.models import SecuritySettings
from clinic.audit.trail import Action, record
from tenancy.models import Membership


def security_settings_get() -> SecuritySettings:
    """The current clinic's settings, or unsaved defaults when it has none yet."""
    return SecuritySettings.objects.first() or SecuritySettings()


# The requirement as the tenant middleware read it with the membership, at the start
# of the request (clinic.membership_figures): what the two-factor check before the
# view asks, so a manager's page costs no query for it.
REQUIRES_TWO_FACTOR = "clinic_requires_two_factor"


def two_factor_figures() -> dict:
    """The requirement, as an annotation on a membership read in its clinic's context."""
    required = SecuritySettings.objects.filter(organization_id=OuterRef("organization_id"), require_two_factor=True)
    return {REQUIRES_TWO_FACTOR: Exists(required)}


def two_factor_required_at_start(membership: Membership) -> bool:
    """two_factor_required() as the request found it: read with the membership if it
    was (nothing has run since that could change it), else read now."""
    read = getattr(membership, REQUIRES_TWO_FACTOR, None)
    return two_factor_required(membership) if read is None else membership.can_manage and read


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
