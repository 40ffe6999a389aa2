"""Appointments: list (with filters), book, change, and the status actions, all through
the same services as the staff pages. No deleting: cancel instead."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action

from clinic.api import examples
from clinic.api.schema import (
    CREATE_ERRORS,
    DETAIL_ERRORS,
    IDEMPOTENCY_KEY,
    LIST_ERRORS,
    UPDATE_ERRORS,
    error_responses,
)
from clinic.api.serializers.appointments import (
    AppointmentCreateIn,
    AppointmentFilterIn,
    AppointmentOut,
    AppointmentUpdateIn,
    AppointmentWrittenOut,
)
from clinic.api.views.base import ApiViewSet, api_view_or_not_found
from clinic.appointments.models import Appointment, AppointmentStatusChange
from clinic.appointments.services import appointment_book, appointment_set_status, appointment_update

VIA = AppointmentStatusChange.Via.API
Status = Appointment.Status

FILTERS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.DATETIME,
        description="Appointments starting at or after this time: ISO 8601 with offset (2030-01-07T00:00:00-05:00).",
    ),
    OpenApiParameter(
        "to", OpenApiTypes.DATETIME, description="Appointments starting before this time: ISO 8601 with offset."
    ),
    OpenApiParameter("provider", OpenApiTypes.UUID, description="One provider's appointments."),
    OpenApiParameter("patient", OpenApiTypes.UUID, description="One patient's appointments."),
    OpenApiParameter(
        "status",
        {"type": "array", "items": {"type": "string", "enum": Status.values}},
        explode=True,
        description="Only these statuses; repeat for several: `?status=scheduled&status=confirmed`.",
    ),
]

# URL name of each action, and the status it sets.
ACTIONS = {
    "confirm": Status.CONFIRMED,
    "cancel": Status.CANCELLED,
    "arrived": Status.ARRIVED,
    "completed": Status.COMPLETED,
    "no-show": Status.NO_SHOW,
}


def _action_schema(url_name: str, status: str):
    return extend_schema(
        summary=f"Mark as {Status(status).label.lower()}" if url_name != "cancel" else "Cancel",
        description=(
            f"Moves the appointment to `{status}` if the front-desk rules allow it (as the staff pages do); "
            "asking for the status it already has changes nothing. Reinstating may answer 409 if the time "
            "has been given away."
        ),
        request=None,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: AppointmentOut, **error_responses(*UPDATE_ERRORS)},
        examples=[examples.response(Status(status).label, {**examples.APPOINTMENT, "status": status})],
    )


class AppointmentActions:
    """One POST action per status change, made through appointment_set_status."""

    def _set_status(self, request, status: str):
        appointment = self.get_object()
        user = request.auth.user
        return self.render_one(appointment_set_status(appointment=appointment, status=status, changed_by=user, via=VIA))

    @_action_schema("confirm", Status.CONFIRMED)
    @action(detail=True, methods=["post"], url_path="confirm")
    def confirm(self, request, pk):
        return self._set_status(request, Status.CONFIRMED)

    @_action_schema("cancel", Status.CANCELLED)
    @action(detail=True, methods=["post"], url_path="cancel")
    def cancel(self, request, pk):
        return self._set_status(request, Status.CANCELLED)

    @_action_schema("arrived", Status.ARRIVED)
    @action(detail=True, methods=["post"], url_path="arrived")
    def arrived(self, request, pk):
        return self._set_status(request, Status.ARRIVED)

    @_action_schema("completed", Status.COMPLETED)
    @action(detail=True, methods=["post"], url_path="completed")
    def completed(self, request, pk):
        return self._set_status(request, Status.COMPLETED)

    @_action_schema("no-show", Status.NO_SHOW)
    @action(detail=True, methods=["post"], url_path="no-show", url_name="no-show")
    def no_show(self, request, pk):
        return self._set_status(request, Status.NO_SHOW)


@extend_schema_view(
    list=extend_schema(
        summary="List appointments",
        description="By start time. Times are given in the clinic's time zone, with their offset.",
        parameters=FILTERS,
        responses={200: AppointmentOut(many=True), **error_responses(*LIST_ERRORS)},
        examples=[examples.page("appointments", examples.APPOINTMENT)],
    ),
    retrieve=extend_schema(
        summary="An appointment",
        responses={200: AppointmentOut, **error_responses(*DETAIL_ERRORS)},
        examples=[examples.response("Scheduled", examples.APPOINTMENT)],
    ),
    create=extend_schema(
        summary="Book an appointment",
        description=(
            "Books a scheduled appointment; `ends_at` defaults to the type's length. "
            "A double booking (the provider or the patient is taken) answers 409 naming the appointment in the way. "
            "A time in the past, outside the provider's working hours, on their day off or at night answers 422 "
            "`confirmation_required` with `warnings`; send `override_warnings` with their codes to book anyway "
            "(the response's `overridden_warnings` lists them)."
        ),
        request=AppointmentCreateIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: AppointmentWrittenOut, **error_responses(*CREATE_ERRORS, booking=True)},
        examples=[
            examples.request(
                "Book a check-up",
                {
                    "patient": examples.PATIENT_ID,
                    "provider": examples.PROVIDER_ID,
                    "appointment_type": examples.TYPE_ID,
                    "starts_at": "2030-01-07T09:00:00-05:00",
                },
            ),
            examples.response("Booked", examples.APPOINTMENT, 201),
        ],
    ),
    partial_update=extend_schema(
        summary="Reschedule or change an appointment",
        description=(
            "Moving `starts_at` alone keeps the length; moving a confirmed appointment makes it scheduled again. "
            "Only the notes of a completed, cancelled or no-show appointment can change. The status changes "
            "through the actions. A new time or provider goes through the same warnings as a booking "
            "(422 `confirmation_required` unless `override_warnings` names them)."
        ),
        request=AppointmentUpdateIn,
        responses={200: AppointmentWrittenOut, **error_responses(*UPDATE_ERRORS, booking=True)},
        examples=[
            examples.request("Move to 10:00", {"starts_at": "2030-01-07T10:00:00-05:00"}),
            examples.response(
                "Moved",
                {
                    **examples.APPOINTMENT,
                    "starts_at": "2030-01-07T10:00:00-05:00",
                    "ends_at": "2030-01-07T10:30:00-05:00",
                },
            ),
        ],
    ),
)
class AppointmentViewSet(AppointmentActions, ApiViewSet):
    model = Appointment
    output_serializer = AppointmentOut
    ordering = ("starts_at", "id")

    def list(self, request):
        filters = self.parse(AppointmentFilterIn, request.query_params)
        return self.render_page(self._filtered(filters), columns=AppointmentOut.COLUMNS)

    def _filtered(self, filters: dict):
        queryset = self.get_queryset()
        if filters.get("from"):
            queryset = queryset.filter(starts_at__gte=filters["from"])
        if filters.get("to"):
            queryset = queryset.filter(starts_at__lt=filters["to"])
        for name in ("provider", "patient"):
            if filters.get(name):
                queryset = queryset.filter(**{f"{name}_id": filters[name]})
        if filters.get("status"):
            queryset = queryset.filter(status__in=sorted(filters["status"]))
        return queryset

    def retrieve(self, request, pk):
        appointment, not_found = api_view_or_not_found(self, pk)
        return not_found or self.render_one(appointment)

    def create(self, request):
        data = self.parse(AppointmentCreateIn)
        override = data.pop("override_warnings", [])  # none named: every warning is refused
        appointment = appointment_book(**data, booked_by=request.auth.user, via=VIA, override_warnings=override)
        return self.render_one(appointment, created=True, serializer=AppointmentWrittenOut)

    def partial_update(self, request, pk):
        appointment = self.get_object()
        changes = self.parse(AppointmentUpdateIn)
        override = changes.pop("override_warnings", [])
        appointment = appointment_update(
            appointment=appointment, changed_by=request.auth.user, via=VIA, override_warnings=override, **changes
        )
        return self.render_one(appointment, serializer=AppointmentWrittenOut)
