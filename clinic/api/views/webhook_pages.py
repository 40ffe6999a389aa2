"""Settings → Webhooks, for the clinic's owners and admins: the clinic's endpoints, a
new one (its signing secret shown once, on the page that created it), each endpoint's
delivery log with its settings, turning it off and on, a test event, rotating its
secret (the new one shown once, on the page that made it), and deleting it. Anyone
else gets a 404 (tenancy.decorators.manager_required)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.api.models import SUBSCRIBABLE_EVENT_TYPES, WebhookDelivery, WebhookEndpoint
from clinic.api.serializers.webhooks import EVENT_CHOICES
from clinic.api.webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_ping,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from tenancy.decorators import manager_required

DELIVERIES_PER_PAGE = 50


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label="URL", max_length=500, help_text="https, on a public address. Redirects are not followed."
    )
    description = forms.CharField(max_length=200, required=False, help_text="What it is, e.g. 'Booking website'.")
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=EVENT_CHOICES,
        initial=list(SUBSCRIBABLE_EVENT_TYPES),
        widget=forms.CheckboxSelectMultiple,
    )

    def save_with(self, service, **kwargs):
        """Call the service with the cleaned data; its refusals become field errors."""
        try:
            return service(**self.cleaned_data, **kwargs)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
            return None


class RotateSecretForm(forms.Form):
    overlap_hours = forms.IntegerField(
        label="Old secret keeps signing for (hours)",
        min_value=0,
        max_value=settings.WEBHOOK_SECRET_ROTATION_MAX_HOURS,
        help_text="Time to deploy the new secret; 0 stops the old one at once (if it leaked).",
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {"overlap_hours": settings.WEBHOOK_SECRET_ROTATION_HOURS})
        super().__init__(*args, **kwargs)


def _endpoint(pk) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint.objects, pk=pk)


def _render_list(request, form, *, new: tuple | None = None, status: int = 200) -> HttpResponse:
    endpoints = WebhookEndpoint.objects.order_by("-active", "-created_at")
    context = {"endpoints": endpoints, "form": form, "new_endpoint": new[0] if new else None}
    context["new_secret"] = new[1] if new else None
    return render(request, "api/webhooks.html", context, status=status)


@never_cache
@manager_required
@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request, WebhookEndpointForm())


@never_cache
@manager_required
@require_POST
def webhook_new(request: HttpRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST)
    created = form.save_with(webhook_endpoint_create, created_by=request.user) if form.is_valid() else None
    if created is None:
        return _render_list(request, form, status=400)
    # Rendered here rather than redirected: a redirect would have to keep the secret
    # somewhere (session, messages) until the next page.
    return _render_list(request, WebhookEndpointForm(), new=created)


@never_cache
@manager_required
@require_http_methods(["GET", "POST"])
def webhook_detail(request: HttpRequest, pk) -> HttpResponse:
    """The endpoint's settings (changed with a POST) and its deliveries, newest first."""
    endpoint = _endpoint(pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "event_types": endpoint.event_types}
    form = WebhookEndpointForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if form.save_with(webhook_endpoint_update, endpoint=endpoint) is not None:
            messages.success(request, "Saved.")
            return redirect("webhooks:detail", pk=endpoint.pk)
        endpoint.refresh_from_db()  # the refused values were rolled back; show the stored ones
    status = 400 if form.is_bound and form.errors else 200
    return _render_detail(request, endpoint, form=form, status=status)


def _render_detail(request, endpoint, *, form=None, rotate_form=None, new_secret=None, status=200) -> HttpResponse:
    if form is None:
        initial = {"url": endpoint.url, "description": endpoint.description, "event_types": endpoint.event_types}
        form = WebhookEndpointForm(initial=initial)
    deliveries = (
        WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event").order_by("-created_at", "-id")
    )
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "endpoint": endpoint,
        "form": form,
        "rotate_form": rotate_form or RotateSecretForm(),
        "new_secret": new_secret,
        "page": page,
    }
    return render(request, "api/webhook_detail.html", context, status=status)


@never_cache
@manager_required
@require_POST
def webhook_rotate_secret(request: HttpRequest, pk) -> HttpResponse:
    endpoint = _endpoint(pk)
    rotate_form = RotateSecretForm(request.POST)
    if not rotate_form.is_valid():
        return _render_detail(request, endpoint, rotate_form=rotate_form, status=400)
    try:
        endpoint, secret = webhook_endpoint_rotate_secret(
            endpoint=endpoint, overlap_hours=rotate_form.cleaned_data["overlap_hours"]
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            rotate_form.add_error(field if field in rotate_form.fields else None, errors)
        return _render_detail(request, endpoint, rotate_form=rotate_form, status=400)
    # Rendered here rather than redirected, as for a new endpoint: the secret is kept nowhere.
    return _render_detail(request, endpoint, new_secret=secret)


@manager_required
@require_POST
def webhook_turn_off(request: HttpRequest, pk) -> HttpResponse:
    endpoint = webhook_endpoint_update(endpoint=_endpoint(pk), active=False, changed_by=request.user)
    messages.success(request, f"Turned off {endpoint.url}: no events are sent to it until you turn it on again.")
    return redirect("webhooks:detail", pk=endpoint.pk)


@manager_required
@require_POST
def webhook_turn_on(request: HttpRequest, pk) -> HttpResponse:
    endpoint = webhook_endpoint_update(endpoint=_endpoint(pk), active=True, changed_by=request.user)
    messages.success(request, f"Turned on {endpoint.url}: new events are sent to it again.")
    return redirect("webhooks:detail", pk=endpoint.pk)


@manager_required
@require_POST
def webhook_ping(request: HttpRequest, pk) -> HttpResponse:
    endpoint = _endpoint(pk)
    try:
        webhook_endpoint_ping(endpoint=endpoint)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, "A test event is on its way; its delivery is listed below.")
    return redirect("webhooks:detail", pk=endpoint.pk)


@manager_required
@require_POST
def webhook_delete(request: HttpRequest, pk) -> HttpResponse:
    endpoint = _endpoint(pk)
    webhook_endpoint_delete(endpoint=endpoint)
    messages.success(request, f"Deleted {endpoint.url} and its delivery log.")
    return redirect("webhooks:list")
