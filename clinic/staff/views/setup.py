"""The clinic's setup, for its owners and admins: providers with their working hours,
appointment types, and the clinic's date order. Staff members get a 404 (see
tenancy.decorators). The forms check the input; the services write it."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.appointments.forms import (
    AppointmentTypeForm,
    ProviderActiveForm,
    ProviderForm,
    WeeklyHoursForm,
    add_service_errors,
)
from clinic.appointments.models import AppointmentType, Provider, WorkingHours
from clinic.appointments.services import (
    appointment_type_create,
    appointment_type_update,
    clinic_set_locale,
    provider_create,
    provider_set_active,
    provider_update,
    working_hours_set,
)
from clinic.core.dates import LocaleForm, date_hint
from tenancy.decorators import manager_required


@manager_required
@require_GET
def setup_index(request: HttpRequest) -> HttpResponse:
    providers = Provider.objects.prefetch_related(
        Prefetch("working_hours", queryset=WorkingHours.objects.order_by("weekday"))
    )
    rows = [(provider, hours_summary(provider.working_hours.all())) for provider in providers]
    context = {
        "providers": rows,
        "types": AppointmentType.objects.all(),
        "locale_form": LocaleForm(initial={"locale": request.organization.locale}),
    }
    return render(request, "appointments/setup/index.html", context)


@manager_required
@require_POST
def clinic_locale(request: HttpRequest) -> HttpResponse:
    """The clinic's date order, from the setup page's own form."""
    form = LocaleForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Choose a date order: {' '.join(form.errors['locale'])}")
        return redirect("setup:index")
    clinic = clinic_set_locale(locale=form.cleaned_data["locale"])
    messages.success(request, f"{clinic.name} now types and shows dates {_order_of(clinic.locale)}.")
    return redirect("setup:index")


def _order_of(locale: str) -> str:
    with translation.override(locale):
        return f"as {date_hint()}"


def hours_summary(hours: Iterable[WorkingHours]) -> list[str]:
    """'Mon–Thu 09:00–17:00', 'Fri 09:00–13:00': neighbouring days with the same hours together."""
    groups: list[list[WorkingHours]] = []
    for day in sorted(hours, key=lambda hours: hours.weekday):
        previous = groups[-1][-1] if groups else None
        same = previous and (previous.starts, previous.ends) == (day.starts, day.ends)
        if same and previous.weekday == day.weekday - 1:
            groups[-1].append(day)
        else:
            groups.append([day])
    return [
        f"{_weekday(group[0])}{'–' + _weekday(group[-1]) if len(group) > 1 else ''} "
        f"{group[0].starts:%H:%M}–{group[0].ends:%H:%M}"
        for group in groups
    ]


def _weekday(hours: WorkingHours) -> str:
    return WorkingHours.Weekday(hours.weekday).label[:3]


def _edit(request: HttpRequest, form_class, instance, *, save, template: str, noun: str) -> HttpResponse:
    """Create (instance None) or change one provider or type through `save(instance,
    fields)`, then back to the setup page."""
    # Named before the form touches it: a refused change must not rename the page.
    title = f"Edit {instance}" if instance is not None else f"Add a {noun}"
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form_class.Meta.fields}
        try:
            saved = save(instance, fields)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{'Added' if instance is None else 'Saved'} {noun} {saved}.")
            return redirect("setup:index")
    return render(request, template, {"form": form, "object": instance, "title": title})


def _save_provider(provider: Provider | None, fields: dict) -> Provider:
    if provider is None:
        return provider_create(**fields)
    return provider_update(provider=provider, **fields)


def _save_type(kind: AppointmentType | None, fields: dict) -> AppointmentType:
    if kind is None:
        return appointment_type_create(**fields)
    return appointment_type_update(appointment_type=kind, **fields)


PROVIDER_PAGE = {"save": _save_provider, "template": "appointments/setup/provider_form.html", "noun": "provider"}
TYPE_PAGE = {"save": _save_type, "template": "appointments/setup/type_form.html", "noun": "type"}


@manager_required
@require_http_methods(["GET", "POST"])
def provider_create_view(request: HttpRequest) -> HttpResponse:
    return _edit(request, ProviderForm, None, **PROVIDER_PAGE)


@manager_required
@require_http_methods(["GET", "POST"])
def provider_edit(request: HttpRequest, pk) -> HttpResponse:
    provider = get_object_or_404(Provider.objects, pk=pk)
    return _edit(request, ProviderForm, provider, **PROVIDER_PAGE)


@manager_required
@require_POST
def provider_active(request: HttpRequest, pk) -> HttpResponse:
    provider = get_object_or_404(Provider.objects, pk=pk)
    form = ProviderActiveForm(request.POST)
    if form.is_valid() and provider.active != form.cleaned_data["active"]:
        provider = provider_set_active(provider=provider, active=form.cleaned_data["active"])
        state = "can be booked again" if provider.active else "is inactive: no new bookings"
        messages.success(request, f"{provider} {state}.")
    return redirect("setup:index")


@manager_required
@require_http_methods(["GET", "POST"])
def provider_hours(request: HttpRequest, pk) -> HttpResponse:
    provider = get_object_or_404(Provider.objects, pk=pk)
    form = WeeklyHoursForm(request.POST or None, provider=provider)
    if request.method == "POST" and form.is_valid():
        try:
            working_hours_set(provider=provider, hours=form.hours())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved the working hours of {provider}.")
            return redirect("setup:index")
    return render(request, "appointments/setup/provider_hours.html", {"form": form, "provider": provider})


@manager_required
@require_http_methods(["GET", "POST"])
def type_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, AppointmentTypeForm, None, **TYPE_PAGE)


@manager_required
@require_http_methods(["GET", "POST"])
def type_edit(request: HttpRequest, pk) -> HttpResponse:
    kind = get_object_or_404(AppointmentType.objects, pk=pk)
    return _edit(request, AppointmentTypeForm, kind, **TYPE_PAGE)
