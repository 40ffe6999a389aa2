"""API keys and webhook endpoints in the admin, for the active clinic's owners and
admins, written through the same services as the staff pages.

- Keys: the key shown once, on the page after saving; revoked with an action, never
  deleted, and the secret never shown again.
- Webhook endpoints: the signing secret shown once, on the page after adding; changed,
  turned off and on, and deleted through the services; the secret never shown again.
  Their deliveries are records of the worker, to read."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from clinic.api.models import ApiKey, WebhookDelivery, WebhookEndpoint
from clinic.api.serializers.webhooks import EVENT_CHOICES
from clinic.api.services import api_key_create, api_key_revoke
from clinic.api.webhooks import targets
from clinic.api.webhooks.services import (
    check_room_for_another_endpoint,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
)
from tenancy.admin import ReadOnlyMixin, TenantModelAdmin, TenantModelForm


class ApiKeyAddForm(forms.ModelForm):
    read_only = forms.BooleanField(required=False, help_text="A read-only key may only GET.")

    class Meta:
        model = ApiKey
        fields = ["name"]


@admin.register(ApiKey)
class ApiKeyAdmin(TenantModelAdmin):
    list_display = ("name", "prefix", "scopes", "created_by", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "scopes", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return ["name", "read_only"] if obj is None else ["name", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the key's history stays

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        scopes = ApiKey.READ_ONLY if form.cleaned_data.get("read_only") else ApiKey.READ_WRITE
        created, key = api_key_create(name=form.cleaned_data["name"], scopes=scopes, created_by=request.user)
        obj.pk, obj._state.adding, obj._new_key = created.pk, False, key

    def response_add(self, request, obj, post_url_continue=None):
        # The key is rendered once, on this response, and kept nowhere.
        context = {**self.admin_site.each_context(request), "opts": self.opts, "api_key": obj, "key": obj._new_key}
        return TemplateResponse(request, "admin/api/apikey/created.html", context)

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset) -> None:
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        messages.success(request, f"Revoked {queryset.count()} key(s).")


class WebhookEndpointForm(TenantModelForm):
    url = forms.CharField(label="URL", max_length=500, help_text="https, on a public address.")
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=[v for v, _ in EVENT_CHOICES],
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "event_types", "active"]

    def clean_url(self) -> str:
        # The service's check (https, public addresses), as a field error here.
        return targets.check_url(self.cleaned_data["url"])

    def clean(self) -> dict:
        if self.instance._state.adding:  # the service's limit, as a form error here
            check_room_for_another_endpoint()
        return super().clean()


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(TenantModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "description", "active", "event_types", "consecutive_failures", "disabled_reason")
    list_filter = ("active",)
    search_fields = ("url", "description")
    readonly_fields = ("created_by", "created_at", "disabled_at", "disabled_reason", "consecutive_failures")
    actions = ["turn_off", "turn_on"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["url", "description", "event_types"]
        return ["url", "description", "event_types", "active", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        data = {name: form.cleaned_data[name] for name in ("url", "description", "event_types")}
        if change:
            webhook_endpoint_update(endpoint=obj, changed_by=request.user, active=form.cleaned_data["active"], **data)
            return
        created, secret = webhook_endpoint_create(**data, created_by=request.user)
        obj.pk, obj._state.adding, obj._new_secret = created.pk, False, secret

    def response_add(self, request, obj, post_url_continue=None):
        # The secret is rendered once, on this response, and shown nowhere else.
        context = {**self.admin_site.each_context(request), "opts": self.opts, "endpoint": obj}
        context["secret"] = obj._new_secret
        return TemplateResponse(request, "admin/api/webhookendpoint/created.html", context)

    def delete_model(self, request, obj) -> None:
        webhook_endpoint_delete(endpoint=obj)

    def delete_queryset(self, request, queryset) -> None:
        for endpoint in queryset:
            webhook_endpoint_delete(endpoint=endpoint)

    @admin.action(description="Turn the selected endpoints off")
    def turn_off(self, request, queryset) -> None:
        for endpoint in queryset:
            webhook_endpoint_update(endpoint=endpoint, active=False, changed_by=request.user)
        messages.success(request, f"Turned off {queryset.count()} endpoint(s).")

    @admin.action(description="Turn the selected endpoints on")
    def turn_on(self, request, queryset) -> None:
        for endpoint in queryset:
            webhook_endpoint_update(endpoint=endpoint, active=True, changed_by=request.user)
        messages.success(request, f"Turned on {queryset.count()} endpoint(s).")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyMixin, TenantModelAdmin):
    list_display = ("created_at", "endpoint", "event", "status", "attempts", "response_status_code", "last_error")
    list_filter = ("status", "endpoint")
    list_select_related = ("endpoint", "event")
    date_hierarchy = "created_at"
    fields = (
        "endpoint",
        "event",
        "status",
        "attempts",
        "response_status_code",
        "last_error",
        "created_at",
        "next_attempt_at",
        "delivered_at",
    )
    readonly_fields = fields
