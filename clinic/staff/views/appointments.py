"""Booking, rescheduling, cancelling and looking at one appointment."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods

from clinic.appointments.forms import AppointmentForm, DayForm, add_service_errors, parse_uuid, with_choices
from clinic.appointments.models import Appointment, AppointmentMove, AppointmentStatusChange, Patient, Provider
from clinic.appointments.services import (
    BookingNeedsConfirmation,
    appointment_book,
    appointment_cancel,
    appointment_update,
)
from clinic.audit.reads import record_view, view_or_not_found
from clinic.core.row_lists import records_from, rows_of
from clinic.core.timezones import format_span, to_local
from clinic.messaging.selectors import appointment_thread, with_confirmation_requests
from clinic.staff.views.day_grid import QUICK_ACTIONS, QUIET_ACTIONS
from clinic.staff.views.schedule import day_url
from tenancy.decorators import org_required

# The button that refreshes the patient list instead of saving.
FIND_PATIENT = "find_patient"
# The schedule's button labels; "scheduled" is reinstating a cancellation made in
# error, or taking back a confirmation.
STATUS_BUTTONS = {**dict(QUICK_ACTIONS), Appointment.Status.SCHEDULED: "Back to scheduled"}


def _get_appointment(pk) -> Appointment:
    return get_object_or_404(Appointment.objects.with_related(), pk=pk)


def _prefill(query: QueryDict) -> dict:
    """Initial values from `?date=&time=&provider=&patient=` (a slot clicked on the
    schedule, a patient's page); ids that are not this clinic's are ignored."""
    initial = {}
    day = DayForm({"date": query.get("date", "")})
    if day.is_valid() and day.cleaned_data["date"]:
        initial["date"] = day.cleaned_data["date"]
    if query.get("time"):
        initial["start_time"] = query["time"]
    for name, model in (("provider", Provider), ("patient", Patient)):
        pk = parse_uuid(query.get(name))
        if pk and model.objects.filter(pk=pk).exists():
            initial[name] = pk
    return initial


def _refilled(post: QueryDict, zone, instance: Appointment | None) -> AppointmentForm:
    """The form as posted, unbound: after "Find", the list changes and nothing is
    validated yet."""
    names = AppointmentForm.base_fields
    return AppointmentForm(initial={name: post.get(name) for name in names}, zone=zone, instance=instance)


def _render_form(request: HttpRequest, form: AppointmentForm, *, conflict: Appointment | None = None) -> HttpResponse:
    query = (form.data.get("patient_query") if form.is_bound else form.initial.get("patient_query")) or ""
    form.limit_patient_choices(query)
    context = {"form": form, "appointment": form.instance, "conflict": conflict, "patient_query": query}
    return render(request, "appointments/appointment_form.html", context)


@org_required
@require_http_methods(["GET", "POST"])
def appointment_create(request: HttpRequest) -> HttpResponse:
    zone = request.organization.zone
    if request.method == "GET":
        return _render_form(request, AppointmentForm(initial=_prefill(request.GET), zone=zone))
    if FIND_PATIENT in request.POST:
        return _render_form(request, _refilled(request.POST, zone, None))
    form = AppointmentForm(request.POST, zone=zone)
    if not form.is_valid():
        return _render_form(request, form)
    try:
        appointment = appointment_book(
            **form.service_fields(), booked_by=request.user, override_warnings=form.confirmed_warnings()
        )
    except BookingNeedsConfirmation as exc:
        form.ask_to_confirm(exc.warnings)
        return _render_form(request, form)
    except ValidationError as exc:
        add_service_errors(form, exc, AppointmentForm.SERVICE_FIELDS)
        return _render_form(request, form, conflict=getattr(exc, "conflicting", None))
    messages.success(request, f"Booked {_describe(appointment, zone)}.")
    _warn(request, appointment)
    return redirect(day_url(to_local(appointment.starts_at, zone).date()))


@org_required
@require_http_methods(["GET", "POST"])
def appointment_edit(request: HttpRequest, pk) -> HttpResponse:
    appointment = get_object_or_404(with_choices(Appointment.objects.with_related()), pk=pk)
    zone = request.organization.zone
    if request.method == "GET":
        record_view(appointment)  # the form shows the appointment
        return _render_form(request, AppointmentForm(zone=zone, instance=appointment))
    if FIND_PATIENT in request.POST:
        return _render_form(request, _refilled(request.POST, zone, appointment))
    form = AppointmentForm(request.POST, zone=zone, instance=appointment)
    if not form.is_valid():
        return _render_form(request, form)
    try:
        changes = form.changed_service_fields()
        appointment = appointment_update(
            appointment=appointment,
            changed_by=request.user,
            override_warnings=form.confirmed_warnings(),
            **changes,
        )
    except BookingNeedsConfirmation as exc:
        form.ask_to_confirm(exc.warnings)
        return _render_form(request, form)
    except ValidationError as exc:
        add_service_errors(form, exc, AppointmentForm.SERVICE_FIELDS)
        return _render_form(request, form, conflict=getattr(exc, "conflicting", None))
    messages.success(request, f"Saved {_describe(appointment, zone)}.")
    _warn(request, appointment)
    return redirect("appointments:detail", pk=appointment.pk)


def _warn(request: HttpRequest, appointment: Appointment) -> None:
    """What the services booked despite: a busy calendar (in a clinic that warns), and
    the booking guards' warnings the person confirmed."""
    for warning in getattr(appointment, "warnings", ()):
        messages.warning(request, warning)
    for warning in getattr(appointment, "overridden_warnings", ()):
        messages.warning(request, f"Booked anyway: {warning.message}")


@org_required
@require_GET
def appointment_detail(request: HttpRequest, pk) -> HttpResponse:
    # Its moves, status changes and confirmation requests are columns of its own read.
    moves = AppointmentMove.objects.filter(appointment=OuterRef("pk")).order_by("changed_at")
    changes = AppointmentStatusChange.objects.filter(appointment=OuterRef("pk")).order_by("changed_at")
    appointments = Appointment.objects.with_related().annotate(
        move_rows=rows_of(moves, "changed_by", "from_provider", "to_provider"),
        change_rows=rows_of(changes, "changed_by"),
    )
    appointment, not_found = view_or_not_found(request, with_confirmation_requests(appointments), pk)
    if not_found:
        return not_found
    now = timezone.now()
    allowed = appointment.allowed_statuses(now)
    context = {
        "appointment": appointment,
        "history": _history(appointment, request.organization.zone),
        # Cancelling has its own page, which says what it does; the rest are buttons.
        "actions": sorted(
            (
                (status, _button_label(appointment, status), _is_quiet(appointment, status))
                for status in allowed
                if status != Appointment.Status.CANCELLED
            ),
            key=lambda action: action[2],
        ),
        "can_cancel": Appointment.Status.CANCELLED in allowed,
        "closed": appointment.status in Appointment.CLOSED_STATUSES,
        "duration": appointment.ends_at - appointment.starts_at,
        "day": to_local(appointment.starts_at, request.organization.zone).date(),
        "sms_thread": appointment_thread(appointment, now),
    }
    return render(request, "appointments/appointment_detail.html", context)


@org_required
@require_http_methods(["GET", "POST"])
def appointment_cancel_view(request: HttpRequest, pk) -> HttpResponse:
    appointment = _get_appointment(pk)
    if request.method == "GET":
        return render(request, "appointments/appointment_cancel.html", {"appointment": appointment})
    zone = request.organization.zone
    try:
        appointment_cancel(appointment=appointment, changed_by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("appointments:detail", pk=appointment.pk)
    messages.success(request, f"Cancelled {_describe(appointment, zone)}.")
    return redirect(day_url(to_local(appointment.starts_at, zone).date()))


def _history(appointment: Appointment, zone) -> list:
    """Status changes and moves, oldest first; a move comes before the status change
    it caused (a confirmed appointment moved is scheduled again)."""
    moves = records_from(AppointmentMove, appointment.move_rows, "changed_by", "from_provider", "to_provider")
    for move in moves:
        move.text = move.describe(zone)
    changes = records_from(AppointmentStatusChange, appointment.change_rows, "changed_by")
    return sorted([*moves, *changes], key=lambda entry: (entry.changed_at, not hasattr(entry, "text")))


def _button_label(appointment: Appointment, status: str) -> str:
    if status == Appointment.Status.SCHEDULED and appointment.status == Appointment.Status.CANCELLED:
        return "Reinstate"
    return STATUS_BUTTONS.get(status, Appointment.Status(status).label)


def _is_quiet(appointment: Appointment, status: str) -> bool:
    """Buttons that step back or end a visit that did not happen come second, and quieter."""
    stepping_back = status == Appointment.Status.SCHEDULED and appointment.status != Appointment.Status.CANCELLED
    return stepping_back or status in QUIET_ACTIONS


def _describe(appointment: Appointment, zone) -> str:
    day = to_local(appointment.starts_at, zone)
    span = format_span(appointment.starts_at, appointment.ends_at, zone)
    return f"{appointment.patient} with {appointment.provider} on {date_format(day, 'MONTH_DAY_FORMAT')}, {span}"
