"""The clinic's calls in the Django admin, for owners and admins (see tenancy.admin).

The voice settings are saved through voice_settings_save(), the same service as the
staff's settings page (it checks the number against every clinic's); calls and
voicemails are records written by the webhooks and the worker, read-only here."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from clinic.appointments.forms import add_service_errors
from clinic.voice.models import Call, Voicemail, VoiceSettings
from clinic.voice.services import SETTINGS_FIELDS, voice_settings_check, voice_settings_save
from tenancy.admin import ReadOnlyMixin, TenantModelAdmin, TenantModelForm, can_administer


class VoiceSettingsForm(TenantModelForm):
    open_days = forms.TypedMultipleChoiceField(
        choices=VoiceSettings._meta.get_field("open_days").base_field.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = VoiceSettings
        fields = "__all__"

    def clean(self) -> dict:
        """The service's own checks (numbers, the number another clinic uses, the
        hours), shown on the form rather than failing at save time."""
        data = super().clean()
        fields = {name: data[name] for name in SETTINGS_FIELDS if name in data}
        try:
            voice_settings_check(**fields)
        except ValidationError as exc:
            add_service_errors(self, exc)
        return data

    def validate_unique(self) -> None:
        pass  # the number's uniqueness is across clinics, which only the service's lookup sees


@admin.register(VoiceSettings)
class VoiceSettingsAdmin(TenantModelAdmin):
    form = VoiceSettingsForm
    list_display = ("__str__", "voice_number", "forward_to", "open_from", "open_until", "retention_days")
    fields = (
        "voice_number",
        "greeting",
        "greeting_language",
        "forward_to",
        "ring_seconds",
        "open_days",
        "open_from",
        "open_until",
        "max_message_seconds",
        "retention_days",
        "updated_at",
    )
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return can_administer(request) and not VoiceSettings.objects.exists()  # one row per clinic

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: VoiceSettings, form, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in SETTINGS_FIELDS if name in form.cleaned_data}
        saved = voice_settings_save(**fields)
        obj.pk = saved.pk


@admin.register(Voicemail)
class VoicemailAdmin(ReadOnlyMixin, TenantModelAdmin):
    list_display = ("received_at", "status", "patient", "duration_seconds", "transcript_status", "handled_at")
    list_filter = ("status", "transcript_status")
    list_select_related = ("patient",)
    fields = (
        "received_at",
        "call",
        "recording_sid",
        "status",
        "duration_seconds",
        "patient",
        "candidate_patient_ids",
        "transcript_status",
        "transcript",
        "audio_content_type",
        "audio_bytes",
        "attempts",
        "error",
        "deleted_from_provider",
        "stored_at",
        "handled_at",
        "handled_by",
    )


@admin.register(Call)
class CallAdmin(ReadOnlyMixin, TenantModelAdmin):
    list_display = ("created_at", "from_number", "to_number", "forwarded", "dial_status")
    fields = ("created_at", "call_sid", "from_number", "to_number", "forwarded", "dial_status")
