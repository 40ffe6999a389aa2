"""Providers and appointment types."""

from __future__ import annotations

from rest_framework import serializers

from clinic.api.serializers.common import InputSerializer
from clinic.appointments.models import AppointmentType, Provider


class ProviderOut(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True, help_text="Title and name, as the schedule shows it.")

    class Meta:
        model = Provider
        fields = ["id", "title", "name", "display_name", "specialty", "active", "created_at"]
        read_only_fields = fields


class ProviderUpdateIn(InputSerializer):
    title = serializers.CharField(max_length=50, required=False, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False)
    specialty = serializers.CharField(max_length=100, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False, help_text="Inactive providers cannot be booked.")


class ProviderCreateIn(ProviderUpdateIn):
    name = serializers.CharField(max_length=200)


class AppointmentTypeOut(serializers.ModelSerializer):
    class Meta:
        model = AppointmentType
        fields = ["id", "name", "default_duration", "colour", "active"]
        read_only_fields = fields


class AppointmentTypeUpdateIn(InputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    default_duration = serializers.IntegerField(
        min_value=AppointmentType.MIN_DURATION,
        max_value=AppointmentType.MAX_DURATION,
        required=False,
        help_text="Minutes.",
    )
    colour = serializers.RegexField(
        r"^#[0-9a-fA-F]{6}$", required=False, help_text="#rrggbb", error_messages={"invalid": "Use #rrggbb."}
    )
    active = serializers.BooleanField(required=False, help_text="Inactive types cannot be booked.")


class AppointmentTypeCreateIn(AppointmentTypeUpdateIn):
    name = serializers.CharField(max_length=100)
    default_duration = serializers.IntegerField(
        min_value=AppointmentType.MIN_DURATION, max_value=AppointmentType.MAX_DURATION, help_text="Minutes."
    )
