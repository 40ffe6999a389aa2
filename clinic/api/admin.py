"""API keys in the admin, for the active clinic's owners and admins: created through the
same service as the staff page (the key shown once, on the page after saving),
revoked with an action, never deleted, and the secret never shown again."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from clinic.api.models import ApiKey
from clinic.api.services import api_key_create, api_key_revoke
from tenancy.admin import TenantModelAdmin


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
