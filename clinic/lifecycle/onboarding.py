"""New clinics: made by the platform operator with an invitation for their first
owner (the console), or by someone signing up (clinic.lifecycle.signup, through
tenancy.services.organization_create). Either way the clinic's trail starts with a
`clinic_created` event naming who made it."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from clinic.audit.trail import Action, record
from clinic.lifecycle.services import Status, clean_reason
from tenancy import invitations
from tenancy.context import tenant_context
from tenancy.lookups import organization_id_for_slug
from tenancy.models import Invitation, Membership, Organization

SLUG_TAKEN = "That slug is taken; choose another."


def clinic_create_with_owner_invitation(
    *, name: str, slug: str, tz: str, owner_email: str, status: str, created_by, reason: str
) -> tuple[Organization, Invitation]:
    """Create a clinic with no member yet and invite `owner_email` to own it; the mail
    goes out once the transaction commits. The database admits that one invitation
    because the clinic has no member (tenancy/0008_first_owner_invitation)."""
    reason = clean_reason(reason)
    owner_email = owner_email.strip().lower()
    validate_email(owner_email)
    if status not in (Status.TRIAL, Status.ACTIVE):
        raise ValidationError("A new clinic starts in trial or active.", code="invalid_status")
    clinic = Organization(
        id=uuid.uuid4(), name=name.strip(), slug=slug, timezone=tz, status=status, status_reason=reason
    )
    clinic.status_changed_at = timezone.now()
    _check_new_clinic(clinic)
    with tenant_context(org=clinic.id, user=created_by):
        clinic.save(force_insert=True)
        token, token_hash = invitations.new_token()
        invitation = Invitation(email=owner_email, role=Membership.Role.OWNER, token_hash=token_hash)
        invitation.invited_by_id = created_by.pk
        invitation.expires_at = timezone.now() + dt.timedelta(days=settings.INVITATION_TTL_DAYS)
        invitation.save()
        record(Action.CLINIC_CREATED, obj=clinic, changed_fields=["status", "status_reason"], user=created_by)
        transaction.on_commit(
            partial(
                invitations.send_invitation_mail,
                email=owner_email,
                token=token,
                clinic=clinic.name,
                inviter=str(created_by),
                role=invitation.get_role_display(),
                expires_at=timezone.localtime(invitation.expires_at, clinic.zone),
            )
        )
    return clinic, invitation


def _check_new_clinic(clinic: Organization) -> None:
    """The model's own validation, but for the slug's uniqueness: Django's check would
    query only the clinics this user may see; the slug lookup sees them all (one id)."""
    clinic.full_clean(validate_unique=False)
    if organization_id_for_slug(clinic.slug) is not None:
        raise ValidationError({"slug": [SLUG_TAKEN]}, code="slug_taken")
