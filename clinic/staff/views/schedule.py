"""The day schedule at `/`, and the status buttons on it."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from clinic.appointments.forms import DayForm, StatusForm
from clinic.appointments.models import Appointment, Provider, WorkingHours
from clinic.appointments.services import appointment_set_status
from clinic.calendars.models import BusyInterval
from clinic.core.dates import date_hint
from clinic.core.redirects import next_url
from clinic.core.timezones import format_span, local_day_bounds, to_local
from clinic.messaging.selectors import sms_mark_annotations, sms_mark_of
from clinic.staff.views.day_grid import build_day_grid
from tenancy.decorators import org_required


def clinic_today(request: HttpRequest) -> dt.date:
    return to_local(timezone.now(), request.organization.zone).date()


def day_url(day: dt.date) -> str:
    return f"{reverse('schedule:day')}?date={day.isoformat()}"


# What a card never shows, left unread: building a full day's rows is a quarter of the
# page's time, and the schedule has no use for a patient's details.
CARD_UNUSED = (
    "notes",
    "created_at",
    "updated_at",
    "patient__date_of_birth",
    "patient__phone",
    "patient__email",
    "patient__sms_consent_changed_at",
    "patient__notes",
    "patient__search_name",
    "patient__search_last",
    "patient__created_at",
    "patient__updated_at",
)


@org_required
@require_GET
def day_view(request: HttpRequest) -> HttpResponse:
    form = DayForm(request.GET)
    if "date" in form.errors:
        messages.warning(request, f"That is not a date the schedule can show (use {date_hint()}). Here is today.")
        return redirect("schedule:day")
    if "provider" in form.errors:
        messages.warning(request, "That is not a provider of the schedule. Here is the first one.")
        return redirect(day_url(form.cleaned_data["date"] or clinic_today(request)))
    today = clinic_today(request)
    day = form.cleaned_data["date"] or today
    zone = request.organization.zone
    # Three queries whatever the day holds: the appointments with their SMS marks, the
    # providers with their hours that weekday, and the busy times.
    appointments = list(
        Appointment.objects.on_day(day, zone)
        .with_related()
        .defer(*CARD_UNUSED)
        .annotate(**sms_mark_annotations())
        .order_by("starts_at")
    )
    booked = {appointment.provider_id for appointment in appointments}
    # Active providers, and any inactive one who still has appointments that day.
    providers = list(Provider.objects.filter(Q(active=True) | Q(pk__in=booked)).annotate(**hours_on(day.weekday())))
    day_starts, day_ends = local_day_bounds(day, zone)
    busy = BusyInterval.objects.filter(starts_at__lt=day_ends, ends_at__gt=day_starts).select_related("busy_calendar")
    grid = build_day_grid(
        day=day,
        zone=zone,
        providers=providers,
        appointments=appointments,
        working_hours=[hours for provider in providers if (hours := working_hours_of(provider, day.weekday()))],
        now=timezone.now(),
        busy_intervals=list(busy.order_by("starts_at")),
        shown_provider_id=form.cleaned_data["provider"],
        sms_marks={appointment.pk: mark for appointment in appointments if (mark := sms_mark_of(appointment))},
    )
    context = {
        "day": day,
        "jump": DayForm(initial={"date": day}, auto_id="schedule-%s")["date"],
        "today": today,
        "is_today": day == today,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "grid": grid,
        "appointment_count": sum(1 for appointment in appointments if appointment.holds_slot),
        "off_count": sum(1 for appointment in appointments if not appointment.holds_slot),
        "here": request.get_full_path(),
        "provider_id": _shown_provider(grid, form.cleaned_data["provider"]),
    }
    return render(request, "appointments/schedule_day.html", context)


def hours_on(weekday: int) -> dict:
    """A provider's working hours on `weekday` (at most one row), as annotations."""
    hours = WorkingHours.objects.filter(provider_id=OuterRef("pk"), weekday=weekday)
    return {"hours_starts": Subquery(hours.values("starts")[:1]), "hours_ends": Subquery(hours.values("ends")[:1])}


def working_hours_of(provider: Provider, weekday: int) -> WorkingHours | None:
    """The hours read with hours_on(), as the grid takes them; None on a day off."""
    if provider.hours_starts is None:
        return None
    return WorkingHours(provider=provider, weekday=weekday, starts=provider.hours_starts, ends=provider.hours_ends)


def _shown_provider(grid, asked):
    """The provider a phone was asked to show, when they have a column: the day links
    keep them, so moving to another day keeps a phone on the same provider."""
    return asked if any(column.shown and column.provider.pk == asked for column in grid.columns) else None


@org_required
@require_POST
def appointment_status(request: HttpRequest, pk) -> HttpResponse:
    appointment = get_object_or_404(Appointment.objects.with_related(), pk=pk)
    zone = request.organization.zone
    back = next_url(request, day_url(to_local(appointment.starts_at, zone).date()))
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the offered status changes.")
        return redirect(back)
    label = f"{appointment.patient} at {format_span(appointment.starts_at, appointment.ends_at, zone)}"
    try:
        appointment = appointment_set_status(
            appointment=appointment, status=form.cleaned_data["status"], changed_by=request.user
        )
    except ValidationError as exc:
        messages.error(request, f"{label}: {' '.join(exc.messages)}")
    else:
        messages.success(request, f"{label}: {appointment.get_status_display().lower()}.")
        for warning in getattr(appointment, "warnings", ()):
            messages.warning(request, warning)
    return redirect(back)
