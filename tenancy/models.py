"""Organizations (tenants), memberships, and the base class for tenant-owned data.

Nothing here imports the product: any Django project can reuse this layer."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from tenancy.context import TenantContextError, current_org_id


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name such as Europe/Berlin.")


class Organization(models.Model):
    """A tenant: one clinic. Its row is visible only to its members (RLS, see
    migration 0002) and only while it is the current tenant can it be changed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="IANA time zone, e.g. America/New_York.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


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
