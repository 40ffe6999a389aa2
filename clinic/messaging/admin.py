"""The clinic's texts in the Django admin, for owners and admins (see tenancy.admin
for who gets in and how the clinic's data is kept apart).

The settings are saved through sms_settings_save(), which re-plans the requests of
upcoming appointments; the message log and the confirmation requests are records,
written only by the services and the worker, so here they can be read, not changed."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from clinic.core.admin_search import SearchByPostMixin
from clinic.messaging.models import ConfirmationRequest, SmsConsentRecord, SmsMessage, SmsOptOut, SmsSettings
from clinic.messaging.services import SETTINGS_FIELDS, sms_settings_save
from tenancy.admin import ReadOnlyMixin, TenantModelAdmin, TenantModelForm, can_administer
from tenancy.context import current_org_id
from tenancy.lookups import organization_for

SENDER_TAKEN = "Another clinic already uses this sender number."


class SmsSettingsForm(TenantModelForm):
    def validate_unique(self) -> None:
        """Row-level security hides other clinics' settings from the model's own
        unique check, so the sender number is also asked of the one lookup that
        sees them all (number -> clinic, nothing else): a field error, not a
        database error at save time."""
        super().validate_unique()
        number = self.instance.sender_number
        if number and "sender_number" not in self.errors:
            owner = organization_for("messaging_clinic_for_sender", number)
            if owner is not None and str(owner) != str(current_org_id()):
                self.add_error("sender_number", SENDER_TAKEN)


@admin.register(SmsSettings)
class SmsSettingsAdmin(TenantModelAdmin):
    form = SmsSettingsForm
    list_display = ("__str__", "enabled", "sender_number", "clinic_phone", "lead_minutes", "send_from", "send_until")
    fields = (
        "enabled",
        "sender_number",
        "clinic_phone",
        "lead_minutes",
        "send_from",
        "send_until",
        "template",
        "clinical_details",
        "consent_wording",
        "updated_at",
    )
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        # One row per clinic.
        return can_administer(request) and not SmsSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # texts are turned off, not deleted

    def save_model(self, request: HttpRequest, obj: SmsSettings, form, change: bool) -> None:
        # Through the service: it locks the row, checks the sender number against
        # every clinic, and re-plans the upcoming requests.
        # (The text retention period is chosen on the SMS settings page, not here.)
        fields = {name: form.cleaned_data[name] for name in SETTINGS_FIELDS if name in form.cleaned_data}
        saved = sms_settings_save(**fields)
        obj.pk = saved.pk  # a new row: the admin's redirect names the saved one


@admin.register(SmsMessage)
class SmsMessageAdmin(SearchByPostMixin, ReadOnlyMixin, TenantModelAdmin):
    list_display = (
        "created_at",
        "direction",
        "kind",
        "from_number",
        "to_number",
        "patient",
        "status",
        "error_code",
        "needs_attention",
        "handled_at",
    )
    list_filter = ("direction", "kind", "status", "needs_attention")
    list_select_related = ("patient",)
    search_fields = ("body", "from_number", "to_number", "patient__last_name", "patient__first_name")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "direction",
        "kind",
        "from_number",
        "to_number",
        "patient",
        "appointment",
        "body",
        "status",
        "status_changed_at",
        "provider_message_id",
        "attempts",
        "error_code",
        "error_message",
        "sent_by",
        "needs_attention",
        "handled_at",
        "handled_by",
    )


@admin.register(ConfirmationRequest)
class ConfirmationRequestAdmin(ReadOnlyMixin, TenantModelAdmin):
    list_display = (
        "due_at",
        "appointment",
        "lead_minutes",
        "status",
        "skip_reason",
        "response",
        "responded_via",
        "responded_at",
    )
    list_filter = ("status", "response", "responded_via")
    list_select_related = ("appointment__patient", "appointment__provider")
    date_hierarchy = "due_at"
    # Not the token hash: nothing here needs it.
    fields = (
        "appointment",
        "lead_minutes",
        "appointment_starts_at",
        "due_at",
        "expires_at",
        "status",
        "skip_reason",
        "window_note",
        "message",
        "response",
        "responded_at",
        "responded_via",
        "created_at",
    )


# The opt-out list and the consent records are append-only (the database refuses any
# change): the admin shows them, and they change only through the messaging services.
@admin.register(SmsOptOut)
class SmsOptOutAdmin(ReadOnlyMixin, TenantModelAdmin):
    list_display = ("at", "phone", "sender_number", "opted_out", "method", "keyword", "actor_label")
    list_filter = ("opted_out", "method")
    date_hierarchy = "at"
    fields = ("at", "phone", "sender_number", "opted_out", "method", "keyword", "reason", "actor_label")


@admin.register(SmsConsentRecord)
class SmsConsentRecordAdmin(ReadOnlyMixin, TenantModelAdmin):
    list_display = ("at", "patient_id", "consented", "source", "actor_label")
    list_filter = ("consented", "source")
    date_hierarchy = "at"
    fields = ("at", "patient_id", "consented", "source", "wording", "note", "actor_label")
