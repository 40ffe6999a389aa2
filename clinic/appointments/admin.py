"""The clinic's schedule in the Django admin, for clinic owners and admins (see
tenancy.admin for who gets in and how the clinic's data is kept apart).

Appointment statuses change only through the actions, which go through the
services: every step is checked against the front-desk rules and recorded."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from clinic.appointments.models import (
    Appointment,
    AppointmentStatusChange,
    AppointmentType,
    Patient,
    Provider,
    WorkingHours,
)
from clinic.appointments.services import APPOINTMENT_FIELDS, appointment_set_status, appointment_update
from tenancy.admin import TenantModelAdmin, TenantModelForm, TenantTabularInline

TIMESTAMPS = ("created_at", "updated_at")


@admin.register(Patient)
class PatientAdmin(TenantModelAdmin):
    list_display = ("last_name", "first_name", "date_of_birth", "phone", "sms_consent")
    list_filter = ("sms_consent",)
    # Declared for autocomplete; the search itself is Patient.objects.search().
    search_fields = ("last_name", "first_name", "phone")
    # Consent changes come from the patient (STOP/START) through the services,
    # which record when; the admin shows it but cannot opt anyone back in.
    readonly_fields = ("sms_consent", "sms_consent_changed_at", *TIMESTAMPS)
    fields = ("first_name", "last_name", "date_of_birth", "phone", "email", "notes", *readonly_fields)

    def get_search_results(self, request, queryset, search_term):
        return queryset.search(search_term), False


class WorkingHoursInline(TenantTabularInline):
    model = WorkingHours
    extra = 0
    fields = ("weekday", "starts", "ends")


@admin.register(Provider)
class ProviderAdmin(TenantModelAdmin):
    list_display = ("name", "title", "specialty", "active")
    list_filter = ("active",)
    search_fields = ("name", "title", "specialty")
    fields = ("title", "name", "specialty", "active")
    inlines = [WorkingHoursInline]


@admin.register(WorkingHours)
class WorkingHoursAdmin(TenantModelAdmin):
    list_display = ("provider", "weekday", "starts", "ends")
    list_filter = ("provider", "weekday")
    list_select_related = ("provider",)
    autocomplete_fields = ("provider",)
    fields = ("provider", "weekday", "starts", "ends")


@admin.register(AppointmentType)
class AppointmentTypeAdmin(TenantModelAdmin):
    list_display = ("name", "default_duration", "swatch", "active")
    list_filter = ("active",)
    search_fields = ("name",)
    fields = ("name", "default_duration", "colour", "active")

    @admin.display(description="Colour")
    def swatch(self, obj: AppointmentType) -> str:
        return format_html(
            '<span style="display:inline-block;width:1em;height:1em;background:{}"></span> {}', obj.colour, obj.colour
        )


class AppointmentForm(TenantModelForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "ends_at" in self.fields:
            self.fields["ends_at"].required = False
            self.fields["ends_at"].help_text = "Leave empty for the appointment type's duration."

    def clean(self) -> dict:
        data = super().clean()
        kind, starts_at = data.get("appointment_type"), data.get("starts_at")
        if not data.get("ends_at") and kind and starts_at:
            data["ends_at"] = starts_at + dt.timedelta(minutes=kind.default_duration)
        elif starts_at and self._moved_start_only():
            # As appointment_update(): moving the start keeps the duration.
            data["ends_at"] = starts_at + (self.instance.ends_at - self.instance.starts_at)
        return data

    def _moved_start_only(self) -> bool:
        changed = set(self.changed_data)
        return not self.instance._state.adding and "starts_at" in changed and "ends_at" not in changed


class StatusHistoryInline(TenantTabularInline):
    model = AppointmentStatusChange
    extra = 0
    can_delete = False
    fields = ("from_status", "to_status", "changed_by", "changed_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _status_action(status: Appointment.Status):
    def action(modeladmin: AppointmentAdmin, request, queryset) -> None:
        changed, refused = 0, []
        for appointment in queryset.with_related():
            try:
                appointment_set_status(appointment=appointment, status=status, changed_by=request.user)
            except ValidationError as exc:
                refused.append(f"{appointment}: {' '.join(exc.messages)}")
            else:
                changed += 1
        if changed:
            modeladmin.message_user(request, f"{changed} appointment(s) marked as {status.label.lower()}.")
        for problem in refused:
            modeladmin.message_user(request, problem, messages.WARNING)

    action.__name__ = f"mark_{status.value}"
    return admin.action(description=f"Mark as {status.label.lower()}", permissions=["change"])(action)


@admin.register(Appointment)
class AppointmentAdmin(TenantModelAdmin):
    form = AppointmentForm
    list_display = ("starts_at", "ends_at", "patient", "provider", "appointment_type", "status")
    list_filter = ("status", "provider", "appointment_type")
    list_select_related = ("patient", "provider", "appointment_type")
    search_fields = ("patient__last_name", "patient__first_name", "patient__phone", "provider__name")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("patient", "provider", "appointment_type")
    readonly_fields = ("status", "status_changed_at", "status_changed_by", *TIMESTAMPS)
    fields = ("patient", "provider", "appointment_type", "starts_at", "ends_at", "notes", *readonly_fields)
    inlines = [StatusHistoryInline]
    actions = [_status_action(status) for status in Appointment.Status]

    def save_model(self, request, obj: Appointment, form, change: bool) -> None:
        if change:
            # Through the service: it locks the row, and moving a confirmed
            # appointment sends it back to scheduled.
            fields = {name: form.cleaned_data[name] for name in form.changed_data if name in APPOINTMENT_FIELDS}
            appointment_update(appointment=obj, changed_by=request.user, **fields)
            return
        obj.status_changed_by = request.user
        obj.save()
        obj.record_status_change(from_status="", changed_by=request.user)


@admin.register(AppointmentStatusChange)
class AppointmentStatusChangeAdmin(TenantModelAdmin):
    """The history is a record: it can be read, not written."""

    list_display = ("changed_at", "appointment", "from_status", "to_status", "changed_by")
    list_filter = ("to_status",)
    list_select_related = ("appointment__patient", "appointment__provider", "changed_by")
    date_hierarchy = "changed_at"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
