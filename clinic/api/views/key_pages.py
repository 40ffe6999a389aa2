"""Settings → API keys, for the clinic's owners and admins: the clinic's keys, a new key
(its secret shown once, on the page that created it, never stored or sent again), and
revoking one. Anyone else gets a 404 (tenancy.decorators.manager_required)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from clinic.api.models import ApiKey
from clinic.api.services import api_key_create, api_key_revoke
from tenancy.decorators import manager_required

ACCESS_CHOICES = [("read_write", "Read and write"), ("read_only", "Read only")]


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the key is for, e.g. 'Booking website'.")
    access = forms.ChoiceField(choices=ACCESS_CHOICES, initial="read_write", widget=forms.RadioSelect)

    def scopes(self) -> tuple[str, ...]:
        return ApiKey.READ_ONLY if self.cleaned_data["access"] == "read_only" else ApiKey.READ_WRITE


def _render(request: HttpRequest, form: ApiKeyForm, *, new_key: str | None = None, status: int = 200) -> HttpResponse:
    keys = ApiKey.objects.select_related("created_by").order_by("revoked_at", "-created_at")
    context = {"keys": keys, "form": form, "new_key": new_key}
    return render(request, "api/api_keys.html", context, status=status)


@never_cache
@manager_required
@require_GET
def api_key_list(request: HttpRequest) -> HttpResponse:
    return _render(request, ApiKeyForm())


@never_cache
@manager_required
@require_POST
def api_key_new(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _render(request, form, status=400)
    api_key, key = api_key_create(name=form.cleaned_data["name"], scopes=form.scopes(), created_by=request.user)
    # Rendered here rather than redirected: a redirect would have to keep the key
    # somewhere (session, messages) until the next page.
    return _render(request, ApiKeyForm(), new_key=key)


@manager_required
@require_POST
def api_key_revoke_view(request: HttpRequest, pk) -> HttpResponse:
    api_key = api_key_revoke(api_key=get_object_or_404(ApiKey.objects, pk=pk))
    messages.success(request, f"Revoked {api_key.name} ({api_key.prefix}…): it no longer works.")
    return redirect("api_keys:list")
