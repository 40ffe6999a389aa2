"""New clinics: made by the platform operator with an invitation for their first
owner (the console), or by someone signing up (the page is
clinic.lifecycle.views.signup; `sign_up` here, through
tenancy.services.organization_create). Either way the clinic's trail starts with a
`clinic_created` event naming who made it.

A signed-up user proves their address by an emailed link before their clinic can be
used (`email_verify`); the link is signed with SALT, which stays as it is while links
are out."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from clinic.audit.trail import Action, record
from clinic.core.dates import chosen_locale
from clinic.lifecycle.services import Status, clean_reason
from tenancy.context import acting_user, tenant_context
from tenancy.lookups import organization_id_for_slug
from tenancy.models import Invitation, Organization
from tenancy.services import invitation_create_first_owner, organization_create

SLUG_TAKEN = "That slug is taken; choose another."
# The emailed link's signing salt: named after the module the links were first made
# in, and kept so that links already sent still open.
SALT = "clinic.lifecycle.signup"


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


def sign_up(*, email: str, password: str, clinic_name: str, tz: str, locale: str = "") -> None:
    """A new user and clinic (trial), or, for a known address, only a mail saying so.
    No `locale`: the usual date order of the time zone's country."""
    users = get_user_model()
    known = users.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).first()
    if known is not None:
        make_password(password)  # as long as creating an account takes: no timing oracle
        if known.email_pending_verification:
            _mail_link(known)  # signed up before and lost the link: a fresh one
        else:
            _mail("lifecycle/signup_known_email.txt", email, {"login_url": _absolute(reverse("login"))})
        return
    user = users.objects.create_user(username=email, email=email, password=password)
    with acting_user(user):
        users.objects.filter(pk=user.pk).update(email_pending_verification=True)
    slug = f"{slugify(clinic_name)[:48] or 'clinic'}-{secrets.token_hex(3)}"
    trial = Organization.Status.TRIAL
    clinic = organization_create(
        name=clinic_name, slug=slug, timezone=tz, owner=user, status=trial, locale=chosen_locale(locale, tz)
    )
    with tenant_context(org=clinic.id, user=user):
        record(Action.CLINIC_CREATED, obj=clinic, changed_fields=["status"], user=user)
    _mail_link(user)


def email_verify(token: str) -> bool:
    """Prove a signed-up user's address by the emailed link's `token`: False for a
    link tampered with or expired, which changes nothing."""
    try:
        user_id = signing.loads(token, salt=SALT, max_age=settings.SIGNUP_VERIFY_HOURS * 3600)
    except signing.BadSignature:
        return False
    with acting_user(user_id):
        get_user_model().objects.filter(pk=user_id).update(email_pending_verification=False)
    return True


def _mail_link(user) -> None:
    token = signing.dumps(str(user.pk), salt=SALT)
    url = _absolute(reverse("lifecycle:signup_verify", kwargs={"token": token}))
    _mail("lifecycle/signup_verify_email.txt", user.email, {"url": url, "hours": settings.SIGNUP_VERIFY_HOURS})


def _mail(template: str, email: str, context: dict) -> None:
    send_mail("Your Clinic sign-up", render_to_string(template, context), None, [email])


def _absolute(path: str) -> str:
    return f"{settings.INVITATION_LINK_BASE_URL.rstrip('/')}{path}"
