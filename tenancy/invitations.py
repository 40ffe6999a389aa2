"""Invitation links: the pre-tenant lookup of their tokens, and the email that carries one.

A token (tenancy.tokens) is 32 random bytes, URL-safe base64 (43 characters); it names no clinic and
no person. Only its sha256 is stored (Invitation.token_hash), so a leaked table holds
no usable link, and the link is shown to nobody but the invitee's mailbox. The
writes are in tenancy.services (invitation_create, _revoke, _accept, _decline)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from tenancy.lookups import organization_for
from tenancy.tokens import token_hash_if_valid

LOOKUP_FUNCTION = "tenancy_invitation_for_token"  # migration 0004


def organization_for_token(token: str) -> uuid.UUID | None:
    """The clinic of a pending, unexpired, unrevoked invitation with this token, else
    None: unknown, used, revoked and expired links are indistinguishable."""
    token_hash = token_hash_if_valid(token)
    return organization_for(LOOKUP_FUNCTION, token_hash) if token_hash else None


def invitation_url(token: str) -> str:
    """The absolute link for the email. The base is a setting, not the request's Host
    header, so a forged Host cannot point an invitee at another site."""
    path = reverse(settings.TENANCY_INVITATION_URL, kwargs={"token": token})
    return f"{settings.INVITATION_LINK_BASE_URL.rstrip('/')}{path}"


def send_invitation_mail(
    *, email: str, token: str, clinic: str, inviter: str, role: str, expires_at, locale: str | None = None
) -> None:
    """`expires_at` is shown in its own zone (the clinic's) and in the clinic's date
    order (`locale`): the mail goes out after the request's commit, outside the zone
    and locale the request had active."""
    with timezone.override(expires_at.tzinfo), translation.override(locale or settings.LANGUAGE_CODE):
        _send_invitation_mail(email, token, clinic=clinic, inviter=inviter, role=role, expires_at=expires_at)


def _send_invitation_mail(email: str, token: str, **details) -> None:
    context = {**details, "url": invitation_url(token)}
    # One line whatever the clinic is called: a newline in a subject is refused.
    subject = " ".join(render_to_string("tenancy/invitation_subject.txt", context).split())
    body = render_to_string("tenancy/invitation_email.txt", context)
    send_mail(subject, body, None, [email])
