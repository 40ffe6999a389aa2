from __future__ import annotations

from rest_framework import serializers

from clinic.api.serializers.common import InputSerializer
from clinic.appointments.models import Patient


class PatientOut(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text="An email address, or empty when unknown.")

    class Meta:
        model = Patient
        fields = [
            "id",
            "first_name",
            "last_name",
            "date_of_birth",
            "phone",
            "email",
            "sms_consent",
            "sms_consent_changed_at",
            "timezone",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PatientUpdateIn(InputSerializer):
    """Every field optional (PATCH). SMS consent changes come from the patient (STOP/START)."""

    unknown_field_messages = {
        "sms_consent": "SMS consent changes only when the patient texts STOP or START.",
    }

    first_name = serializers.CharField(max_length=100, required=False)
    last_name = serializers.CharField(max_length=100, required=False)
    date_of_birth = serializers.DateField(required=False)
    phone = serializers.CharField(
        max_length=32,
        required=False,
        help_text="E.164 (+14155550123), or a number of the clinic's own country without the country code.",
    )
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    timezone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=(
            "The patient's IANA time zone (America/New_York), whose quiet hours texts respect; "
            "empty: the zones of the phone number."
        ),
    )


class PatientCreateIn(PatientUpdateIn):
    unknown_field_messages = {}

    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField()
    phone = serializers.CharField(
        max_length=32,
        help_text="E.164 (+14155550123), or a number of the clinic's own country without the country code.",
    )
    sms_consent = serializers.ChoiceField(
        choices=Patient.SmsConsent.choices,
        default=Patient.SmsConsent.OPTED_IN,
        help_text="Whether the patient agreed to appointment texts; later changes come from the patient.",
    )


class PatientSearchIn(serializers.Serializer):
    q = serializers.CharField(
        max_length=100,
        help_text=(
            "A name (the first word starts the first or last name; the others appear in it), "
            "phone digits or date of birth."
        ),
    )
