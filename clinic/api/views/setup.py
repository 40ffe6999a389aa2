"""Providers and appointment types. Reading needs `read`; changing them needs a write key
or, signed in, an owner or admin (as the staff setup pages)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.permissions import SAFE_METHODS, BasePermission

from clinic.api import examples
from clinic.api.schema import (
    CREATE_ERRORS,
    DETAIL_ERRORS,
    IDEMPOTENCY_KEY,
    LIST_ERRORS,
    UPDATE_ERRORS,
    error_responses,
)
from clinic.api.serializers.setup import (
    AppointmentTypeCreateIn,
    AppointmentTypeOut,
    AppointmentTypeUpdateIn,
    ProviderCreateIn,
    ProviderOut,
    ProviderUpdateIn,
)
from clinic.api.views.base import ApiViewSet
from clinic.appointments.models import AppointmentType, Provider
from clinic.appointments.services import (
    appointment_type_create,
    appointment_type_update,
    provider_create,
    provider_update,
)
from tenancy.drf import HasScope


class ManagesSetup(BasePermission):
    message = "Only the clinic's owners and admins change providers and appointment types."
    code = "permission_denied"

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or bool(getattr(request.auth, "can_manage", False))


def _schemas(noun: str, plural: str, out, create_in, update_in, example: dict, create_example: dict, change: dict):
    return extend_schema_view(
        list=extend_schema(
            summary=f"List {plural}",
            description=f"All of the clinic's {plural}, active or not, by name.",
            responses={200: out(many=True), **error_responses(*LIST_ERRORS)},
            examples=[examples.page(plural.replace(" ", "-"), example)],
        ),
        retrieve=extend_schema(
            summary=f"An {noun}" if noun[0] in "aeiou" else f"A {noun}",
            responses={200: out, **error_responses(*DETAIL_ERRORS)},
            examples=[examples.response(noun.capitalize(), example)],
        ),
        create=extend_schema(
            summary=f"Add a {noun}" if noun[0] not in "aeiou" else f"Add an {noun}",
            description="Owners and admins, or a write key. There is no deleting; set `active` to false instead.",
            request=create_in,
            parameters=[IDEMPOTENCY_KEY],
            responses={201: out, **error_responses(*CREATE_ERRORS)},
            examples=[examples.request(f"New {noun}", create_example), examples.response("Added", example, 201)],
        ),
        partial_update=extend_schema(
            summary=f"Change a {noun}" if noun[0] not in "aeiou" else f"Change an {noun}",
            request=update_in,
            responses={200: out, **error_responses(*UPDATE_ERRORS)},
            examples=[examples.request("Deactivate", change), examples.response("Changed", {**example, **change})],
        ),
    )


class SetupViewSet(ApiViewSet):
    permission_classes = [HasScope, ManagesSetup]
    ordering = ("name", "id")

    def list(self, request):
        return self.render_page(self.get_queryset())

    def retrieve(self, request, pk):
        return self.render_one(self.get_object())


@_schemas(
    "provider",
    "providers",
    ProviderOut,
    ProviderCreateIn,
    ProviderUpdateIn,
    examples.PROVIDER,
    {"title": "Dr", "name": "Ada Lovelace", "specialty": "General practice"},
    {"active": False},
)
class ProviderViewSet(SetupViewSet):
    model = Provider
    output_serializer = ProviderOut

    def create(self, request):
        return self.render_one(provider_create(**self.parse(ProviderCreateIn)), created=True)

    def partial_update(self, request, pk):
        provider = self.get_object()
        return self.render_one(provider_update(provider=provider, **self.parse(ProviderUpdateIn)))


@_schemas(
    "appointment type",
    "appointment types",
    AppointmentTypeOut,
    AppointmentTypeCreateIn,
    AppointmentTypeUpdateIn,
    examples.APPOINTMENT_TYPE,
    {"name": "Check-up", "default_duration": 30, "colour": "#3b82f6"},
    {"active": False},
)
class AppointmentTypeViewSet(SetupViewSet):
    model = AppointmentType
    output_serializer = AppointmentTypeOut

    def create(self, request):
        return self.render_one(appointment_type_create(**self.parse(AppointmentTypeCreateIn)), created=True)

    def partial_update(self, request, pk):
        kind = self.get_object()
        return self.render_one(appointment_type_update(appointment_type=kind, **self.parse(AppointmentTypeUpdateIn)))
