"""The clinic's schedule in the Django admin, for clinic owners and admins (see
tenancy.admin for who gets in and how the clinic's data is kept apart).

Every save goes through the services, as on the staff pages: the admin's forms parse,
ServiceAdmin.save_model() calls the service, and what the service refuses is shown
on the form. Appointment statuses change only through the actions, which go through
the services too: every step is checked against the front-desk rules and recorded
with via="admin"."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest
from django.utils.html import format_html

from clinic.appointments.forms import add_service_errors
from clinic.appointments.models import (
    Appointment,
    AppointmentMove,
    AppointmentStatusChange,
    AppointmentType,
    Patient,
    Provider,
    WorkingHours,
)
from clinic.appointments.services import (
    APPOINTMENT_FIELDS,
    APPOINTMENT_TYPE_FIELDS,
    PATIENT_FIELDS,
    PROVIDER_FIELDS,
    appointment_book,
    appointment_set_status,
    appointment_type_create,
    appointment_type_update,
    appointment_update,
    patient_create,
    patient_update,
    provider_create,
    provider_update,
    working_hours_set,
)
from clinic.audit.reads import not_found
from clinic.audit.trail import Action, record
from clinic.core.admin_search import SearchByPostMixin
from tenancy.admin import ReadOnlyMixin, TenantModelAdmin, TenantModelForm, TenantTabularInline
from tenancy.zones import ZoneField, ZoneInput

VIA = AppointmentStatusChange.Via.ADMIN
# Where ServiceAdmin keeps a service's refusal for the second rendering of the page.
REFUSAL = "_admin_service_refusal"

TIMESTAMPS = ("created_at", "updated_at")


class ServiceAdmin(TenantModelAdmin):
    """A tenant admin whose saves go through the services: subclasses implement
    save_with_services() (and save_formset() for their inlines).

    The admin validates the form, then calls save_model(). The service validates again
    against the locked row, and may refuse (a slot taken meanwhile, a start moved alone
    onto another appointment). Its ValidationError leaves the admin's transaction, so
    nothing of the save is kept, and the page is shown again with the refusal on the
    form, where a validation error would be."""

    def save_with_services(self, request: HttpRequest, obj: Model, form, change: bool) -> Model:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        saved = self.save_with_services(request, obj, form, change)
        if saved is not obj:
            # The admin goes on with the object it passed in (its message, its redirect,
            # the inlines' parent): make it the one the service saved.
            obj.__dict__.update(saved.__dict__)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        """Inlines are read-only unless the subclass saves them through a service."""
        if formset.has_changed():
            raise ImproperlyConfigured(f"{type(self).__name__} has no service to save {formset.model.__name__} rows.")
        _not_saved_by_formset(formset)

    def changeform_view(self, request: HttpRequest, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refusal:
            if request.method != "POST" or hasattr(request, REFUSAL):
                raise
            setattr(request, REFUSAL, refusal)
            return super().changeform_view(request, object_id, form_url, extra_context)

    # The audit trail (clinic/audit) stands in for Django's global admin log: the
    # services record additions and changes; deletions, which no service makes, and
    # each look at a patient or appointment (`audit_views`) are recorded here.
    audit_views = False

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if self.audit_views and request.method == "GET":
            record(Action.VIEW, obj=obj)
        return obj

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        except Http404:
            if not self.audit_views:
                raise
            # Returned, not raised: the request's transaction keeps the event.
            return not_found(request, self.model, object_id)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            record(Action.DELETE, obj=obj)

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, REFUSAL, None)
        if refusal is None:
            return form
        return type(form.__name__, (_ShowsRefusal, form), {"refusal": refusal})


class _ShowsRefusal:
    """Mixed into an admin form for the second rendering: the service's refusal is
    one of its errors, so nothing is saved and the page says why."""

    refusal: ValidationError

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound:
            add_service_errors(self, self.refusal)


def _not_saved_by_formset(formset) -> None:
    """What formset.save() would have set, for the admin's change message (which
    tenant admins do not log anyway)."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


def changed_fields(form, names: frozenset[str]) -> dict:
    """What the admin form changed, as the update services take it."""
    return {name: form.cleaned_data[name] for name in form.changed_data if name in names}


def all_fields(form, names: frozenset[str]) -> dict:
    """What the admin form holds, as the create services take it."""
    return {name: form.cleaned_data[name] for name in form.fields if name in names}


@admin.register(Patient)
class PatientAdmin(SearchByPostMixin, ServiceAdmin):
    audit_views = True
    list_display = ("last_name", "first_name", "date_of_birth", "phone", "sms_consent")
    list_filter = ("sms_consent",)
    # Declared for autocomplete; the search itself is Patient.objects.search().
    search_fields = ("last_name", "first_name", "phone")
    # Consent changes come from the patient (STOP/START) through the services,
    # which record when; the admin shows it but cannot opt anyone back in.
    readonly_fields = ("sms_consent", "sms_consent_changed_at", *TIMESTAMPS)
    fields = ("first_name", "last_name", "date_of_birth", "phone", "email", "timezone", "notes", *readonly_fields)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "timezone":
            kwargs.update(form_class=ZoneField, widget=ZoneInput())  # the IANA zones, searchable as one types
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        return queryset.search(search_term), False

    def save_with_services(self, request, obj: Patient, form, change: bool) -> Patient:
        if change:
            return patient_update(patient=obj, **changed_fields(form, PATIENT_FIELDS))
        return patient_create(**all_fields(form, PATIENT_FIELDS))


class WorkingHoursInline(TenantTabularInline):
    model = WorkingHours
    extra = 0
    fields = ("weekday", "starts", "ends")


def week_from_formset(formset) -> dict[int, tuple[dt.time, dt.time]]:
    """The provider's week as the inline rows say it after the edit: every row,
    except those marked for deletion and the extra rows left empty."""
    deleted = set(formset.deleted_forms) if formset.can_delete else set()
    week = {}
    for row in formset.forms:
        if row in deleted or (row.instance._state.adding and not row.has_changed()):
            continue
        week[row.cleaned_data["weekday"]] = (row.cleaned_data["starts"], row.cleaned_data["ends"])
    return week


@admin.register(Provider)
class ProviderAdmin(ServiceAdmin):
    list_display = ("name", "title", "specialty", "active")
    list_filter = ("active",)
    search_fields = ("name", "title", "specialty")
    fields = ("title", "name", "specialty", "active")
    inlines = [WorkingHoursInline]

    def save_with_services(self, request, obj: Provider, form, change: bool) -> Provider:
        if change:
            return provider_update(provider=obj, **changed_fields(form, PROVIDER_FIELDS))
        return provider_create(**all_fields(form, PROVIDER_FIELDS))

    def save_formset(self, request, form, formset, change: bool) -> None:
        if formset.model is not WorkingHours:
            return super().save_formset(request, form, formset, change)
        if formset.has_changed():
            working_hours_set(provider=form.instance, hours=week_from_formset(formset))
        _not_saved_by_formset(formset)
        return None


@admin.register(WorkingHours)
class WorkingHoursAdmin(ReadOnlyMixin, TenantModelAdmin):
    """Every provider's hours at a glance. They are changed on the provider's page,
    a week at a time, as services.working_hours_set() takes them."""

    list_display = ("provider", "weekday", "starts", "ends")
    list_filter = ("provider", "weekday")
    list_select_related = ("provider",)
    fields = ("provider", "weekday", "starts", "ends")


@admin.register(AppointmentType)
class AppointmentTypeAdmin(ServiceAdmin):
    list_display = ("name", "default_duration", "swatch", "active")
    list_filter = ("active",)
    search_fields = ("name",)
    fields = ("name", "default_duration", "colour", "active")

    @admin.display(description="Colour")
    def swatch(self, obj: AppointmentType) -> str:
        return format_html(
            '<span style="display:inline-block;width:1em;height:1em;background:{}"></span> {}', obj.colour, obj.colour
        )

    def save_with_services(self, request, obj: AppointmentType, form, change: bool) -> AppointmentType:
        if change:
            return appointment_type_update(appointment_type=obj, **changed_fields(form, APPOINTMENT_TYPE_FIELDS))
        return appointment_type_create(**all_fields(form, APPOINTMENT_TYPE_FIELDS))


class AppointmentForm(TenantModelForm):
    """Parses; appointment_book() and appointment_update() validate and work out what
    the form leaves open: an empty end is the type's usual length, and a start moved
    alone keeps the length."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "ends_at" in self.fields:
            self.fields["ends_at"].required = False
            self.fields["ends_at"].help_text = "Leave empty for the appointment type's duration."

    def _post_clean(self) -> None:
        # No model validation here: it would judge the instance before the service has
        # worked out its end. The service validates as it saves (see ServiceAdmin).
        pass


class StatusHistoryInline(TenantTabularInline):
    model = AppointmentStatusChange
    extra = 0
    can_delete = False
    fields = ("from_status", "to_status", "changed_by", "changed_at", "via")
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
                appointment_set_status(appointment=appointment, status=status, changed_by=request.user, via=VIA)
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
class AppointmentAdmin(SearchByPostMixin, ServiceAdmin):
    audit_views = True
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

    def has_delete_permission(self, request, obj=None) -> bool:
        # An appointment is cancelled, not deleted: its history and whatever was sent
        # about it (SMS, integrator events) stay true.
        return False

    def save_with_services(self, request, obj: Appointment, form, change: bool) -> Appointment:
        if change:
            # It locks the row; moving a confirmed appointment sends it back to scheduled.
            fields = changed_fields(form, APPOINTMENT_FIELDS)
            return appointment_update(appointment=obj, changed_by=request.user, via=VIA, **fields)
        return appointment_book(**all_fields(form, APPOINTMENT_FIELDS), booked_by=request.user, via=VIA)


@admin.register(AppointmentStatusChange)
class AppointmentStatusChangeAdmin(ReadOnlyMixin, TenantModelAdmin):
    """The history is a record: it can be read, not written."""

    list_display = ("changed_at", "appointment", "from_status", "to_status", "changed_by", "via")
    list_filter = ("to_status", "via")
    list_select_related = ("appointment__patient", "appointment__provider", "changed_by")
    date_hierarchy = "changed_at"


@admin.register(AppointmentMove)
class AppointmentMoveAdmin(ReadOnlyMixin, TenantModelAdmin):
    """Moves are history too: read, never written here."""

    list_display = ("changed_at", "appointment", "from_starts_at", "from_provider", "to_starts_at", "to_provider")
    list_filter = ("via",)
    list_select_related = ("appointment__patient", "appointment__provider", "from_provider", "to_provider")
    date_hierarchy = "changed_at"
