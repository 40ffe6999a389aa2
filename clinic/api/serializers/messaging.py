"""Text messages (read only): what the clinic texted and received, with delivery status."""

from __future__ import annotations

from rest_framework import serializers

from clinic.api.serializers.common import LocalDateTimeField
from clinic.messaging.models import SmsMessage


class SmsMessageOut(serializers.Serializer):
    """Renders an SmsMessage, or a dict of its COLUMNS (what the list fetches)."""

    COLUMNS = (
        "id",
        "direction",
        "kind",
        "from_number",
        "to_number",
        "body",
        "patient_id",
        "appointment_id",
        "status",
        "provider_message_id",
        "error_code",
        "error_message",
        "created_at",
        "status_changed_at",
    )

    id = serializers.UUIDField(read_only=True)
    direction = serializers.ChoiceField(
        choices=SmsMessage.Direction.choices, read_only=True, help_text="`out`: sent by the clinic; `in`: received."
    )
    kind = serializers.ChoiceField(choices=SmsMessage.Kind.choices, read_only=True)
    from_number = serializers.CharField(read_only=True, help_text="E.164.")
    to_number = serializers.CharField(read_only=True, help_text="E.164.")
    body = serializers.CharField(read_only=True)
    patient = serializers.UUIDField(
        source="patient_id", read_only=True, allow_null=True, help_text="The patient, when the number is one's."
    )
    appointment = serializers.UUIDField(
        source="appointment_id", read_only=True, allow_null=True, help_text="The appointment the text is about."
    )
    status = serializers.ChoiceField(choices=SmsMessage.Status.choices, read_only=True)
    provider_message_id = serializers.CharField(
        read_only=True, allow_null=True, help_text="The SMS provider's id, once it has the text."
    )
    error_code = serializers.CharField(read_only=True, help_text="The provider's error code, or empty.")
    error_message = serializers.CharField(read_only=True, help_text="Why the text failed, or empty.")
    created_at = LocalDateTimeField()
    status_changed_at = LocalDateTimeField()


class SmsMessageFilterIn(serializers.Serializer):
    appointment = serializers.UUIDField(required=False)
    patient = serializers.UUIDField(required=False)
    direction = serializers.ChoiceField(choices=SmsMessage.Direction.choices, required=False)
    status = serializers.MultipleChoiceField(choices=SmsMessage.Status.choices, required=False)
