from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.api.serializers.common import InputSerializer
from clinic.appointments.models import Patient
from clinic.messaging.compliance_models import ConsentSource
from clinic.messaging.optouts import consent_state


class PatientOut(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text="An email address, or empty when unknown.")
    sms_consent_source = serializers.SerializerMethodField(
        help_text=(
            "How the current consent state was last given or withdrawn: `staff`, `api`, `keyword` (the patient "
            "texted STOP, START…), `link` (the confirmation page), `import` or `system`; null if never recorded."
        )
    )
    sms_number_opted_out = serializers.SerializerMethodField(
        help_text=(
            "Whether the patient's number is on the clinic's opt-out list for its sender number (a STOP from the "
            "phone, or an opt-out recorded by staff or the API). Shared by every patient with the number; no text "
            "goes to it while true, whatever `sms_consent` says."
        )
    )

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
            "sms_consent_source",
            "sms_number_opted_out",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=ConsentSource.choices, allow_null=True))
    def get_sms_consent_source(self, patient: Patient) -> str | None:
        if hasattr(patient, "consent_source"):  # annotated by the list (patient_consent_state)
            return patient.consent_source
        return consent_state(patient)[0]

    @extend_schema_field(serializers.BooleanField())
    def get_sms_number_opted_out(self, patient: Patient) -> bool:
        if hasattr(patient, "number_opted_out"):
            return bool(patient.number_opted_out)
        return consent_state(patient)[1]


class SmsOptOutIn(InputSerializer):
    reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text="Why, for the number's history (optional)."
    )


class SmsOptInIn(InputSerializer):
    reason = serializers.CharField(
        max_length=300, help_text="Why texts may go to this number again (the patient asked, say). Required."
    )


class PatientUpdateIn(InputSerializer):
    """Every field optional (PATCH). SMS consent changes through sms-opt-out and sms-opt-in."""

    unknown_field_messages = {
        "sms_consent": "Change SMS consent with POST patients/{id}/sms-opt-out/ or sms-opt-in/.",
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
