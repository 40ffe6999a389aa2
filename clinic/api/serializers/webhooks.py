"""Webhook endpoints and their deliveries."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from clinic.api.models import SUBSCRIBABLE_EVENT_TYPES, EventType, WebhookDelivery
from clinic.api.serializers.common import InputSerializer, LocalDateTimeField

EVENT_CHOICES = [(value, EventType(value).label) for value in SUBSCRIBABLE_EVENT_TYPES]


class WebhookEndpointOut(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    url = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES), read_only=True)
    active = serializers.BooleanField(read_only=True)
    disabled_at = LocalDateTimeField(allow_null=True, help_text="When it was turned off, or null while it is on.")
    disabled_reason = serializers.CharField(
        read_only=True, help_text="Why it was turned off: by hand, or after too many failed deliveries in a row."
    )
    consecutive_failures = serializers.IntegerField(
        read_only=True, help_text="Deliveries that failed for good since the last one that succeeded."
    )
    created_at = LocalDateTimeField()
    rotation_ends_at = LocalDateTimeField(
        allow_null=True,
        help_text="While a secret rotation is under way, when the replaced secret stops signing deliveries; else null.",
    )


class WebhookEndpointCreatedOut(WebhookEndpointOut):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (whsec_…). Shown in this response only: store it now.",
    )


class WebhookEndpointRotatedOut(WebhookEndpointCreatedOut):
    secret = serializers.CharField(
        read_only=True,
        help_text="The new signing secret (whsec_…). Shown in this response only: store it now.",
    )


class WebhookSecretRotateIn(InputSerializer):
    overlap_hours = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=settings.WEBHOOK_SECRET_ROTATION_MAX_HOURS,
        help_text=(
            f"How long the replaced secret keeps signing beside the new one, in hours "
            f"(default {settings.WEBHOOK_SECRET_ROTATION_HOURS}; 0 stops it at once, for a leaked secret)."
        ),
    )


class WebhookEndpointUpdateIn(InputSerializer):
    url = serializers.CharField(
        max_length=500, required=False, help_text="https, on a public address; redirects are not followed."
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.MultipleChoiceField(
        choices=EVENT_CHOICES, required=False, allow_empty=False, help_text="The events to send it."
    )
    active = serializers.BooleanField(
        required=False, help_text="false turns it off; true turns it on again and forgets its failures."
    )


class WebhookEndpointCreateIn(WebhookEndpointUpdateIn):
    unknown_field_messages = {"secret": "The secret is made for you and shown once, in the response."}

    url = serializers.CharField(max_length=500, help_text="https, on a public address; redirects are not followed.")
    event_types = serializers.MultipleChoiceField(
        choices=EVENT_CHOICES, required=False, allow_empty=False, help_text="The events to send it; all by default."
    )
    active = None


class WebhookDeliveryOut(serializers.Serializer):
    """Renders a delivery from a dict of its COLUMNS (what the log fetches)."""

    COLUMNS = (
        "id",
        "event_id",
        "event__type",
        "status",
        "attempts",
        "response_status_code",
        "last_error",
        "created_at",
        "next_attempt_at",
        "delivered_at",
    )

    id = serializers.UUIDField(read_only=True)
    event = serializers.SerializerMethodField(help_text="The event's id: the payload's `id`, the `webhook-id` header.")
    event_type = serializers.ChoiceField(source="event__type", choices=EventType.choices, read_only=True)
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices, read_only=True)
    attempts = serializers.IntegerField(read_only=True)
    response_status_code = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The HTTP status of the last answer; null when none came."
    )
    last_error = serializers.CharField(read_only=True, help_text="What went wrong last, or empty.")
    created_at = LocalDateTimeField()
    next_attempt_at = LocalDateTimeField(allow_null=True, help_text="When it is tried next, while pending.")
    delivered_at = LocalDateTimeField(allow_null=True)

    def get_event(self, row) -> str:
        return f"evt_{row['event_id'].hex}"
