"""Django admin for tenant data, in the active organization only.

Who gets in: a staff user (`is_staff`) whose membership in the organization active in
their session can manage it (owner or admin). Platform superusers too: nothing here
bypasses row-level security, so a superuser must be a manager of the clinic and have
it active like anyone else. Roles are per organization, so Django's global model
permissions are not consulted for tenant models: an admin of clinic A who is staff
in clinic B would otherwise carry A's permissions into B.

What they see: querysets from the scoped default manager; foreign key choices,
autocomplete, list filters and search built from the same scope; another clinic's
object id answers 404. Times are shown and entered in the clinic's time zone."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import ForeignKey
from django.http import Http404, HttpRequest

from tenancy.context import current_org_id
from tenancy.forms import TenantModelForm  # also imported from here by app admins
from tenancy.models import Invitation, Membership, Organization, TenantModel
from tenancy.services import invitation_revoke
from tenancy.zones import ZoneField, ZoneInput


def _may_view_users(site: admin.AdminSite, request: HttpRequest) -> bool:
    user_model = get_user_model()
    if not site.is_registered(user_model):
        return False
    return site.get_model_admin(user_model).has_view_permission(request)


def can_administer(request: HttpRequest) -> bool:
    """Whether the request may use the admin on the active organization's data."""
    user = request.user
    membership: Membership | None = getattr(request, "membership", None)
    organization: Organization | None = getattr(request, "organization", None)
    return bool(
        user.is_active
        and user.is_staff
        and membership is not None
        and organization is not None
        and membership.user_id == user.pk
        and membership.organization_id == organization.pk == current_org_id()
        and membership.can_manage
    )


class TenantAccessMixin:
    """Who may use an admin (or inline) of the active organization's data: can_administer()."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_administer(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return can_administer(request)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return can_administer(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return can_administer(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return can_administer(request)


class TenantAdminMixin(TenantAccessMixin):
    """Access rules, 404s, time zone and the admin log, for any ModelAdmin of data
    that belongs to one organization (tenant models, and the organization itself)."""

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        """Another clinic's object (or none) is a 404, as on every other page; Django's
        default would redirect with a message."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object.")
        return obj

    # The admin log (django_admin_log, "Recent actions") is one table for the whole
    # platform, not per clinic, and it stores object names. Tenant admins write none,
    # so no clinic's patient names can show up in another clinic's admin.
    def log_addition(self, request, obj, message):
        return None

    def log_change(self, request, obj, message):
        return None

    def log_deletions(self, request, queryset):
        return None


class TenantScopedFieldsMixin:
    """Choices for foreign keys from the current organization only."""

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs):
        related = db_field.related_model
        if "queryset" not in kwargs:
            if issubclass(related, TenantModel):
                kwargs["queryset"] = related._default_manager.all()
            elif related._meta.label == settings.AUTH_USER_MODEL:
                # Users are global: offer only the members of this clinic.
                kwargs["queryset"] = related._default_manager.filter(memberships__organization_id=current_org_id())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TenantModelAdmin(TenantAdminMixin, TenantScopedFieldsMixin, admin.ModelAdmin):
    """Base class for the admin of a TenantModel."""

    form = TenantModelForm

    def __init__(self, model, admin_site) -> None:
        if not issubclass(model, TenantModel):
            raise ImproperlyConfigured(f"{type(self).__name__} is for tenant models; {model._meta.label} is not one.")
        super().__init__(model, admin_site)

    def get_list_filter(self, request: HttpRequest):
        """A plain foreign key filter would list every row of the related table;
        RelatedOnlyFieldListFilter lists only those this clinic's rows point at."""
        filters = []
        for item in super().get_list_filter(request):
            if isinstance(item, str) and "__" not in item and isinstance(self.model._meta.get_field(item), ForeignKey):
                item = (item, RelatedOnlyFieldListFilter)
            filters.append(item)
        return filters


class TenantTabularInline(TenantAccessMixin, TenantScopedFieldsMixin, admin.TabularInline):
    form = TenantModelForm


@admin.register(Organization)
class OrganizationAdmin(TenantAdminMixin, admin.ModelAdmin):
    """The active clinic's own settings: its name and time zone. Clinics are created
    by the sign-up flow and never deleted from here. Its locale is shown, not edited:
    the product changes it through its own service, which records the change."""

    list_display = ("name", "slug", "timezone", "locale")
    fields = ("name", "slug", "timezone", "locale", "created_at")
    readonly_fields = ("slug", "locale", "created_at")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(pk=current_org_id())

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "timezone":
            kwargs.update(form_class=ZoneField, widget=ZoneInput())
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ReadOnlyMixin:
    """For records (histories, logs, memberships changed elsewhere): they can be read,
    not added, changed or deleted, whoever asks."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(ReadOnlyMixin, TenantAdminMixin, admin.ModelAdmin):
    """The active clinic's members, to look at. Nobody is added here: people join by
    accepting an invitation (their consent). Changing roles and removing members go
    through tenancy.services (the product's members page), which enforce the owner
    rules in one place."""

    list_display = ("user", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")

    def get_fields(self, request: HttpRequest, obj=None):
        # The admin links a read-only user to the user's admin page, without asking
        # whether this person may open it; most may not (users are global). Those
        # see the user as plain text.
        user = "user" if _may_view_users(self.admin_site, request) else "member"
        return (user, "role", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="user")
    def member(self, obj: Membership) -> str:
        return str(obj.user)

    def get_queryset(self, request: HttpRequest):
        # RLS also shows a user their own memberships in other clinics; not here.
        return super().get_queryset(request).filter(organization_id=current_org_id()).select_related("user")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyMixin, TenantModelAdmin):
    """The active clinic's invitations, to look at and revoke (an action, through
    tenancy.services). They are sent from the members page, which mails the link;
    the admin never shows a token or its hash."""

    list_display = ("email", "role", "inviter", "created_at", "expires_at", "status")
    list_filter = ("role",)
    search_fields = ("email",)
    fields = ("email", "role", "inviter", "created_at", "expires_at", "status")
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="invited by")
    def inviter(self, obj: Invitation) -> str:
        # Plain text: users are global, and most managers may not open the user admin.
        return str(obj.invited_by) if obj.invited_by else "—"

    @admin.display(description="status")
    def status(self, obj: Invitation) -> str:
        if obj.accepted_at:
            return "accepted"
        if obj.revoked_at:
            return "revoked"
        return "pending" if obj.is_pending else "expired"

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("invited_by")

    @admin.action(description="Revoke the selected pending invitations")
    def revoke(self, request: HttpRequest, queryset) -> None:
        revoked = 0
        for invitation in queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True):
            try:
                invitation_revoke(invitation=invitation, revoked_by=request.membership)
            except ValidationError as exc:
                self.message_user(request, f"{invitation.email}: {' '.join(exc.messages)}", level="error")
            else:
                revoked += 1
        self.message_user(request, f"Revoked {revoked} invitation{'s' if revoked != 1 else ''}.")
