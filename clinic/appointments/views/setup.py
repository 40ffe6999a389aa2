"""The clinic's setup, for its owners and admins: providers with their working hours,
and appointment types. Staff members get a 404 (see tenancy.decorators)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.appointments.forms import AppointmentTypeForm, ProviderActiveForm, ProviderForm, WeeklyHoursForm
from clinic.appointments.models import AppointmentType, Provider, WorkingHours
from tenancy.decorators import manager_required


@manager_required
@require_GET
def setup_index(request: HttpRequest) -> HttpResponse:
    providers = Provider.objects.prefetch_related(
        Prefetch("working_hours", queryset=WorkingHours.objects.order_by("weekday"))
    )
    rows = [(provider, hours_summary(provider.working_hours.all())) for provider in providers]
    context = {"providers": rows, "types": AppointmentType.objects.all()}
    return render(request, "appointments/setup/index.html", context)


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


def _edit(request: HttpRequest, form_class, instance, *, template: str, noun: str) -> HttpResponse:
    """Create (instance None) or change one provider or type, then back to the setup page."""
    # Named before the form touches it: a refused change must not rename the page.
    title = f"Edit {instance}" if instance is not None else f"Add a {noun}"
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"{'Added' if instance is None else 'Saved'} {noun} {saved}.")
        return redirect("setup:index")
    return render(request, template, {"form": form, "object": instance, "title": title})


@manager_required
@require_http_methods(["GET", "POST"])
def provider_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, ProviderForm, None, template="appointments/setup/provider_form.html", noun="provider")


@manager_required
@require_http_methods(["GET", "POST"])
def provider_edit(request: HttpRequest, pk) -> HttpResponse:
    provider = get_object_or_404(Provider.objects, pk=pk)
    return _edit(request, ProviderForm, provider, template="appointments/setup/provider_form.html", noun="provider")


@manager_required
@require_POST
def provider_active(request: HttpRequest, pk) -> HttpResponse:
    provider = get_object_or_404(Provider.objects, pk=pk)
    form = ProviderActiveForm(request.POST)
    if form.is_valid() and provider.active != form.cleaned_data["active"]:
        provider.active = form.cleaned_data["active"]
        provider.save(update_fields=["active"])
        state = "can be booked again" if provider.active else "is inactive: no new bookings"
        messages.success(request, f"{provider} {state}.")
    return redirect("setup:index")


@manager_required
@require_http_methods(["GET", "POST"])
def provider_hours(request: HttpRequest, pk) -> HttpResponse:
    provider = get_object_or_404(Provider.objects, pk=pk)
    form = WeeklyHoursForm(request.POST or None, provider=provider)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved the working hours of {provider}.")
        return redirect("setup:index")
    return render(request, "appointments/setup/provider_hours.html", {"form": form, "provider": provider})


@manager_required
@require_http_methods(["GET", "POST"])
def type_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, AppointmentTypeForm, None, template="appointments/setup/type_form.html", noun="type")


@manager_required
@require_http_methods(["GET", "POST"])
def type_edit(request: HttpRequest, pk) -> HttpResponse:
    kind = get_object_or_404(AppointmentType.objects, pk=pk)
    return _edit(request, AppointmentTypeForm, kind, template="appointments/setup/type_form.html", noun="type")
