"""New clinics: made by the platform operator with an invitation for their first
owner (the console), or by someone signing up (clinic.lifecycle.signup, through
tenancy.services.organization_create). Either way the clinic's trail starts with a
`clinic_created` event naming who made it."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from clinic.audit.trail import Action, record
from clinic.core.dates import chosen_locale
from clinic.lifecycle.services import Status, clean_reason
from tenancy.context import tenant_context
from tenancy.lookups import organization_id_for_slug
from tenancy.models import Invitation, Organization
from tenancy.services import invitation_create_first_owner

SLUG_TAKEN = "That slug is taken; choose another."


def clinic_create_with_owner_invitation(
    *, name: str, slug: str, tz: str, owner_email: str, status: str, created_by, reason: str, locale: str = ""
) -> tuple[Organization, Invitation]:
    """Create a clinic with no member yet and invite `owner_email` to own it; the mail
    goes out once the transaction commits. The database admits that one invitation
    because the clinic has no member (tenancy/0008_first_owner_invitation). No `locale`:
    the usual date order of the time zone's country (clinic.core.dates)."""
    reason = clean_reason(reason)
    owner_email = owner_email.strip().lower()
    validate_email(owner_email)
    if status not in (Status.TRIAL, Status.ACTIVE):
        raise ValidationError("A new clinic starts in trial or active.", code="invalid_status")
    clinic = Organization(
        id=uuid.uuid4(),
        name=name.strip(),
        slug=slug,
        timezone=tz,
        locale=chosen_locale(locale, tz),
        status=status,
        status_reason=reason,
    )
    clinic.status_changed_at = timezone.now()
    _check_new_clinic(clinic)
    with tenant_context(org=clinic.id, user=created_by):
        clinic.save(force_insert=True)
        invitation = invitation_create_first_owner(email=owner_email, invited_by=created_by)
        record(Action.CLINIC_CREATED, obj=clinic, changed_fields=["status", "status_reason"], user=created_by)
    return clinic, invitation


def _check_new_clinic(clinic: Organization) -> None:
    """The model's own validation, but for the slug's uniqueness: Django's check would
    query only the clinics this user may see; the slug lookup sees them all (one id)."""
    clinic.full_clean(validate_unique=False)
    if organization_id_for_slug(clinic.slug) is not None:
        raise ValidationError({"slug": [SLUG_TAKEN]}, code="slug_taken")
