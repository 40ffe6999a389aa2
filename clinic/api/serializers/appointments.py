from __future__ import annotations

from rest_framework import serializers
from rest_framework.fields import SkipField

from clinic.api.serializers.common import (
    AwareDateTimeField,
    InputSerializer,
    LocalDateTimeField,
    TenantPrimaryKeyField,
)
from clinic.appointments import guards
from clinic.appointments.models import Appointment, AppointmentType, Patient, Provider

STATUS_BY_ACTION = (
    "The status changes through the actions: POST …/confirm/, …/cancel/, …/arrived/, …/completed/ or …/no-show/."
)


class AppointmentOut(serializers.Serializer):
    """Renders an Appointment, or a dict of its COLUMNS (what the list fetches: no model
    instances to build for a page of rows)."""

    COLUMNS = (
        "id",
        "patient_id",
        "provider_id",
        "appointment_type_id",
        "starts_at",
        "ends_at",
        "status",
        "notes",
        "status_changed_at",
        "created_at",
        "updated_at",
    )

    id = serializers.UUIDField(read_only=True)
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    provider = serializers.UUIDField(source="provider_id", read_only=True)
    appointment_type = serializers.UUIDField(source="appointment_type_id", read_only=True)
    starts_at = LocalDateTimeField()
    ends_at = LocalDateTimeField()
    status = serializers.ChoiceField(choices=Appointment.Status.choices, read_only=True)
    notes = serializers.CharField(read_only=True)
    status_changed_at = LocalDateTimeField()
    created_at = LocalDateTimeField()
    updated_at = LocalDateTimeField()


class OverriddenWarningsField(serializers.ListField):
    """The codes of the warnings a booking or move was made despite; left out when
    there were none, so an ordinary booking renders as GET (and webhooks) render it."""

    def get_attribute(self, appointment) -> list[str]:
        codes = [warning.code for warning in getattr(appointment, "overridden_warnings", ())]
        if not codes:
            raise SkipField
        return codes


class AppointmentWrittenOut(AppointmentOut):
    """A booking or change: the appointment, and the warnings it was booked despite."""

    overridden_warnings = OverriddenWarningsField(
        child=serializers.ChoiceField(choices=list(guards.CODES)),
        required=False,
        help_text="Only when `override_warnings` was needed: the warnings booked despite.",
    )


class AppointmentUpdateIn(InputSerializer):
    """PATCH: what to change. Moving `starts_at` alone keeps the length; moving a confirmed
    appointment makes it scheduled again (the patient confirmed the old time)."""

    unknown_field_messages = {"status": STATUS_BY_ACTION}

    patient = TenantPrimaryKeyField(Patient, required=False)
    provider = TenantPrimaryKeyField(Provider, required=False)
    appointment_type = TenantPrimaryKeyField(AppointmentType, required=False)
    starts_at = AwareDateTimeField(required=False)
    ends_at = AwareDateTimeField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    override_warnings = serializers.ListField(
        child=serializers.ChoiceField(choices=list(guards.CODES)),
        required=False,
        help_text=(
            "Book despite these warnings (their codes). A time in the past, outside the provider's working "
            "hours, on their day off or at night (22:00–06:00 clinic time) is refused with 422 "
            "`confirmation_required` and the warnings unless each is named here."
        ),
    )

    def validate(self, data: dict) -> dict:
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            raise serializers.ValidationError({"ends_at": ["The appointment must end after it starts."]})
        return data


class AppointmentCreateIn(AppointmentUpdateIn):
    patient = TenantPrimaryKeyField(Patient)
    provider = TenantPrimaryKeyField(Provider)
    appointment_type = TenantPrimaryKeyField(AppointmentType)
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField(required=False, help_text="Leave out for the type's usual length.")


class AppointmentFilterIn(serializers.Serializer):
    """The list's query string. Other parameters (cursor, limit, anything else) are
    not this serializer's business and are ignored here."""

    from_ = AwareDateTimeField(required=False)
    to = AwareDateTimeField(required=False)
    provider = serializers.UUIDField(required=False)
    patient = serializers.UUIDField(required=False)
    status = serializers.MultipleChoiceField(choices=Appointment.Status.choices, required=False)

    def get_fields(self) -> dict:
        # `from` is a Python keyword, so the field is declared as from_.
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, data: dict) -> dict:
        if data.get("from") and data.get("to") and data["to"] <= data["from"]:
            raise serializers.ValidationError({"to": ["`to` must be later than `from`."]})
        return data
