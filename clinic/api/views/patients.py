from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from clinic.api import examples
from clinic.api.schema import (
    CREATE_ERRORS,
    DETAIL_ERRORS,
    IDEMPOTENCY_KEY,
    LIST_ERRORS,
    UPDATE_ERRORS,
    error_responses,
)
from clinic.api.serializers.patients import PatientCreateIn, PatientFilterIn, PatientOut, PatientUpdateIn
from clinic.api.views.base import ApiViewSet
from clinic.appointments.models import Patient
from clinic.appointments.services import patient_create, patient_update
from clinic.audit.views import api_view_or_not_found


@extend_schema_view(
    list=extend_schema(
        summary="List patients",
        description="By last name, first name. `q` narrows by name, phone digits or date of birth.",
        parameters=[OpenApiParameter("q", str, description=PatientFilterIn().fields["q"].help_text)],
        responses={200: PatientOut(many=True), **error_responses(*LIST_ERRORS)},
        examples=[examples.page("patients", examples.PATIENT)],
    ),
    retrieve=extend_schema(
        summary="A patient",
        responses={200: PatientOut, **error_responses(*DETAIL_ERRORS)},
        examples=[examples.response("Jane Doe", examples.PATIENT)],
    ),
    create=extend_schema(
        summary="Register a patient",
        description="The phone number must be unique in the clinic. There is no deleting patients.",
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

    def list(self, request):
        query = self.parse(PatientFilterIn, request.query_params)
        return self.render_page(self.get_queryset().search(query.get("q", "")))

    def retrieve(self, request, pk):
        patient, not_found = api_view_or_not_found(self, pk)
        return not_found or self.render_one(patient)

    def create(self, request):
        return self.render_one(patient_create(**self.parse(PatientCreateIn)), created=True)

    def partial_update(self, request, pk):
        patient = self.get_object()
        return self.render_one(patient_update(patient=patient, **self.parse(PatientUpdateIn)))
