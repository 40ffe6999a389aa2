from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action

from clinic.api import examples
from clinic.api.errors import ApiError
from clinic.api.schema import (
    CREATE_ERRORS,
    DETAIL_ERRORS,
    IDEMPOTENCY_KEY,
    LIST_ERRORS,
    UPDATE_ERRORS,
    error_responses,
)
from clinic.api.serializers.patients import (
    PatientCreateIn,
    PatientOut,
    PatientSearchIn,
    PatientUpdateIn,
    SmsOptInIn,
    SmsOptOutIn,
)
from clinic.api.views.base import ApiViewSet, api_view_or_not_found
from clinic.appointments.models import Patient
from clinic.appointments.services import patient_create, patient_update
from clinic.messaging.compliance_models import OptOutMethod
from clinic.messaging.optouts import with_consent_state
from clinic.messaging.services import sms_number_opt_in, sms_number_opt_out


@extend_schema_view(
    list=extend_schema(
        summary="List patients",
        description=(
            "By last name, first name. To search, POST the terms to `patients/search/`: a `q` in "
            "the query string is refused, since URLs are written to access logs."
        ),
        responses={200: PatientOut(many=True), **error_responses(*LIST_ERRORS)},
        examples=[examples.page("patients", examples.PATIENT)],
    ),
    search=extend_schema(
        summary="Search patients",
        description=(
            "Patients matching `q` by name (every word), phone digits or date of birth (ISO 8601, or "
            "in the clinic's date order: 20/12/1961 day first, 12/20/1961 month first), by last "
            "name, first name. The terms are patient data, so they travel in the body, never in "
            "the URL. A read: a `read` key may search. For the next page, POST the same body "
            "to the `next` link."
        ),
        request=PatientSearchIn,
        responses={200: PatientOut(many=True), **error_responses(*LIST_ERRORS)},
        examples=[
            examples.request("By name", {"q": "doe"}),
            examples.page("patients/search", examples.PATIENT),
        ],
    ),
    retrieve=extend_schema(
        summary="A patient",
        responses={200: PatientOut, **error_responses(*DETAIL_ERRORS)},
        examples=[examples.response("Jane Doe", examples.PATIENT)],
    ),
    create=extend_schema(
        summary="Register a patient",
        description="Patients of a clinic may share a phone number (a family phone). There is no deleting patients.",
        request=PatientCreateIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: PatientOut, **error_responses(*CREATE_ERRORS)},
        examples=[
            examples.request(
                "New patient",
                {"first_name": "Jane", "last_name": "Doe", "date_of_birth": "1980-05-17", "phone": "+12025550123"},
            ),
            examples.response("Registered", examples.PATIENT, 201),
        ],
    ),
    sms_opt_out=extend_schema(
        summary="Stop texts to a patient's number",
        description=(
            "Puts the patient's number on the clinic's opt-out list for its sender number (it then applies to "
            "every patient with that number) and withdraws the patient's consent, recorded as given through the "
            "API by this key. Asking again changes nothing."
        ),
        request=SmsOptOutIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: PatientOut, **error_responses(*UPDATE_ERRORS)},
        examples=[
            examples.request("At the patient's request", {"reason": "Asked by phone"}),
            examples.response(
                "Opted out",
                {
                    **examples.PATIENT,
                    "sms_consent": "opted_out",
                    "sms_consent_source": "api",
                    "sms_number_opted_out": True,
                },
            ),
        ],
    ),
    sms_opt_in=extend_schema(
        summary="Texts again to a patient's number",
        description=(
            "Lifts the number's opt-out and gives the patient's consent (with the clinic's consent wording), "
            "for the `reason` given, which is required and kept in the number's history."
        ),
        request=SmsOptInIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: PatientOut, **error_responses(*UPDATE_ERRORS)},
        examples=[
            examples.request("The patient asked", {"reason": "Asked at the desk to get texts again"}),
            examples.response("Opted in", {**examples.PATIENT, "sms_consent_source": "api"}),
        ],
    ),
    partial_update=extend_schema(
        summary="Change a patient's details",
        request=PatientUpdateIn,
        responses={200: PatientOut, **error_responses(*UPDATE_ERRORS)},
        examples=[
            examples.request("New phone number", {"phone": "+12025550188"}),
            examples.response("Changed", {**examples.PATIENT, "phone": "+12025550188"}),
        ],
    ),
)
class PatientViewSet(ApiViewSet):
    model = Patient
    output_serializer = PatientOut
    ordering = ("last_name", "first_name", "id")
    read_actions = frozenset({"search"})

    def list(self, request):
        if "q" in request.query_params:
            raise ApiError(
                'Search terms are patient data and stay out of URLs: POST them to patients/search/ as {"q": "..."}.',
                code="search_terms_in_url",
                fields={"q": ["Send this in the body of POST patients/search/."]},
            )
        return self.render_page(self.get_queryset())

    @action(detail=False, methods=["post"], url_path="search")
    def search(self, request):
        return self.render_page(self.get_queryset().search(self.parse(PatientSearchIn)["q"]))

    def retrieve(self, request, pk):
        patient, not_found = api_view_or_not_found(self, pk)
        return not_found or self.render_one(patient)

    def create(self, request):
        return self.render_one(patient_create(**self.parse(PatientCreateIn)), created=True)

    def get_queryset(self):
        return with_consent_state(super().get_queryset())

    @action(detail=True, methods=["post"], url_path="sms-opt-out")
    def sms_opt_out(self, request, pk):
        patient = self.get_object()
        reason = self.parse(SmsOptOutIn).get("reason", "")
        sms_number_opt_out(phone=patient.phone, method=OptOutMethod.API, reason=reason, patient=patient)
        return self.render_one(self.get_queryset().get(pk=patient.pk))

    @action(detail=True, methods=["post"], url_path="sms-opt-in")
    def sms_opt_in(self, request, pk):
        patient = self.get_object()
        reason = self.parse(SmsOptInIn)["reason"]
        sms_number_opt_in(phone=patient.phone, method=OptOutMethod.API, reason=reason, patient=patient)
        return self.render_one(self.get_queryset().get(pk=patient.pk))

    def partial_update(self, request, pk):
        patient = patient_update(patient=self.get_object(), **self.parse(PatientUpdateIn))
        return self.render_one(self.get_queryset().get(pk=patient.pk))  # a new phone may be opted out
