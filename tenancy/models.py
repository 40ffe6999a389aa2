"""Organizations (tenants), memberships, and the base class for tenant-owned data.

Nothing here imports the product: any Django project can reuse this layer."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenancy.context import TenantContextError, current_org_id


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name such as Europe/Berlin.")


def validate_locale(value: str) -> None:
    """One of settings.LANGUAGES: the locales the project has formats for."""
    if value not in dict(settings.LANGUAGES):
        known = ", ".join(code for code, _ in settings.LANGUAGES)
        raise ValidationError(f"{value!r} is not a locale this site offers ({known}).", code="invalid_locale")


class Organization(models.Model):
    """A tenant: one clinic. Its row is visible only to its members (RLS, see
    migration 0002) and only while it is the current tenant can it be changed.

    Its `status` is changed only by the product's lifecycle services, which audit
    each change; no form or admin edits it (the fields are not editable)."""

    class Status(models.TextChoices):
        TRIAL = "trial", "Trial"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        CLOSED = "closed", "Closed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="IANA time zone, e.g. America/New_York.",
    )
    # How its pages read and show dates and numbers (Django's localisation): en-gb
    # reads 03/04/2025 as 3 April, en-us as March 4. Django's own default language.
    locale = models.CharField(
        max_length=16,
        default="en-us",
        db_default="en-us",
        validators=[validate_locale],
        help_text="A language code of settings.LANGUAGES, e.g. en-gb.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Database defaults too: a clinic inserted by SQL (an operator's script) is active.
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.ACTIVE, db_default=Status.ACTIVE, editable=False
    )
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_reason = models.CharField(max_length=500, blank=True, default="", db_default="", editable=False)

    class Meta:
        verbose_name = "clinic"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def is_open(self) -> bool:
        """Whether its people may work in it (trial or active)."""
        return self.status in OPEN_STATUSES


# The statuses in which a clinic's people work, its texts go out and its API answers.
OPEN_STATUSES = (Organization.Status.TRIAL, Organization.Status.ACTIVE)


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        STAFF = "staff", "Staff"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # DO_NOTHING in Python: the database cascades (ON DELETE CASCADE, migration 0002).
    organization = models.ForeignKey(
        Organization,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="memberships",
        editable=False,
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "member"
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="tenancy_membership_org_user_uniq"),
        ]
        ordering = ["organization__name"]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    def save(self, *args, **kwargs) -> None:
        if self.organization_id is None:
            org_id = current_org_id()
            if org_id is None:
                raise TenantContextError("Cannot save a membership outside a tenant context.")
            self.organization_id = org_id
        super().save(*args, **kwargs)

    @property
    def can_manage(self) -> bool:
        """Owners and admins manage the clinic's setup and members."""
        return self.role in (self.Role.OWNER, self.Role.ADMIN)


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Scopes every queryset to the current organization. With no organization set
    it returns nothing — never everything (the database agrees: RLS fails closed)."""

    def get_queryset(self) -> TenantQuerySet:
        queryset = super().get_queryset()
        org_id = current_org_id()
        if org_id is None:
            return queryset.none()
        return queryset.filter(organization_id=org_id)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)  # a generator would be used up by the claims below
        for obj in objs:
            obj.claim_for_current_org()
        return super().bulk_create(objs, *args, **kwargs)


class TenantModel(models.Model):
    """Base class for every table that belongs to one organization.

    The migration of each concrete subclass must use `EnableRowLevelSecurity` and
    `AddTenantForeignKey` (see tenancy.operations); the system checks refuse to
    pass until the database has them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The database constraint (with ON DELETE CASCADE) is added by AddTenantForeignKey;
    # the (organization_id, id) unique index below serves as the index leading with it.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        editable=False,
        related_name="+",
    )

    objects = TenantManager()
    # True for a table whose rows are written once and never changed (an audit
    # trail): its migration adds MakeAppendOnly, and save() refuses to update.
    tenant_append_only = False

    class Meta:
        abstract = True
        base_manager_name = "objects"
        constraints = [
            # Target of the composite foreign keys from other tenant tables.
            models.UniqueConstraint(fields=["organization", "id"], name="%(app_label)s_%(class)s_org_id_uniq"),
        ]

    def save(self, *args, **kwargs) -> None:
        self.claim_for_current_org()
        if self.tenant_append_only:
            if not self._state.adding:
                raise TenantContextError(f"{type(self).__name__} rows are append-only.")
            kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def claim_for_current_org(self) -> None:
        """Fill the organization from the tenant context; refuse any other."""
        org_id = current_org_id()
        if org_id is None:
            raise TenantContextError(f"Cannot save {type(self).__name__} outside a tenant context.")
        if self.organization_id is None:
            self.organization_id = org_id
        elif self.organization_id != org_id:
            raise TenantContextError(f"{type(self).__name__} belongs to another organization than the current one.")


INVITATION_TOKEN_CONSTRAINT = "tenancy_invitation_token_uniq"


class InvitationQuerySet(TenantQuerySet):
    def pending(self) -> InvitationQuerySet:
        """Not accepted and not revoked (expired ones included: re-inviting renews them)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(TenantModel):
    """An offer to join a clinic, made by one of its owners or admins to an email
    address. Nobody becomes a member until the person holding that address opens the
    emailed link, signs in (or signs up) as it, and accepts: a clinic cannot put itself
    in a stranger's clinic switcher, nor learn whether an address has an account.

    The link carries a random token; only its sha256 (`token_hash`) is stored. The
    pre-tenant lookup `tenancy_invitation_for_token` (migration 0004) maps that hash to
    the clinic while the invitation is pending, unexpired and unrevoked."""

    email = models.EmailField()  # stored lower-cased (save())
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.STAFF)
    token_hash = models.CharField(max_length=64, editable=False)
    # The database sets these to NULL when the user is deleted (ON DELETE SET NULL,
    # added by the migration's tenant foreign keys).
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        editable=False,
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = TenantManager.from_queryset(InvitationQuerySet)()

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            # Platform-wide on purpose (MarkPlatformUnique in the migration): the
            # pre-tenant lookup finds a clinic by the hash alone. The hash is of 32
            # random bytes, so uniqueness across clinics reveals nothing.
            models.UniqueConstraint(fields=["token_hash"], name=INVITATION_TOKEN_CONSTRAINT),
            # One pending invitation per address and clinic: inviting again renews it.
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="tenancy_invitation_pending_email_uniq",
            ),
        ]
        indexes = [models.Index(fields=["organization", "created_at"], name="tenancy_inv_org_created_idx")]

    def __str__(self) -> str:
        return f"Invitation for {self.email} ({self.role})"

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def is_pending(self) -> bool:
        """Open to be accepted: not accepted, not revoked and not expired."""
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class JobSlot(TenantModel):
    """One of a clinic's places for running jobs of one kind at once, held by one job
    until `held_until` (tenancy.job_slots). Rows come and go with the jobs."""

    kind = models.CharField(max_length=40, editable=False)
    slot = models.PositiveSmallIntegerField(editable=False)
    holder = models.UUIDField(editable=False)
    held_until = models.DateTimeField(editable=False)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organization", "kind", "slot"], name="tenancy_jobslot_kind_slot_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} slot {self.slot}"
