from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from clinic.api import examples
from clinic.api.models import ApiKey
from clinic.api.schema import READ_ERRORS, error_responses
from clinic.api.views.base import ApiView

MeOut = inline_serializer(
    name="Me",
    fields={
        "clinic": inline_serializer(
            name="Clinic",
            fields={
                "id": serializers.UUIDField(),
                "name": serializers.CharField(),
                "timezone": serializers.CharField(help_text="IANA time zone; times are given in it."),
            },
        ),
        "scopes": serializers.ListField(child=serializers.ChoiceField(choices=ApiKey.Scope.choices)),
        "key": inline_serializer(
            name="KeySummary",
            fields={"id": serializers.UUIDField(), "name": serializers.CharField(), "prefix": serializers.CharField()},
            allow_null=True,
            help_text="The API key used, or null when signed in.",
        ),
    },
)


class MeView(ApiView):
    @extend_schema(
        summary="The clinic and scopes of this key",
        responses={200: MeOut, **error_responses(*READ_ERRORS)},
        examples=[
            examples.response(
                "A read/write key",
                {
                    "clinic": {
                        "id": "b1e2c3d4-5f60-4a7b-8c9d-0e1f2a3b4c5d",
                        "name": "Northside Family Clinic",
                        "timezone": "America/New_York",
                    },
                    "scopes": ["read", "write"],
                    "key": {
                        "id": "c0ffee00-1234-4abc-8def-0123456789ab",
                        "name": "Booking site",
                        "prefix": "ck_live_Ab3dE6gH",
                    },
                },
            )
        ],
    )
    def get(self, request):
        principal, clinic = request.auth, request.organization
        key = None
        if principal.key_id is not None:
            api_key = ApiKey.objects.filter(pk=principal.key_id).values("id", "name", "prefix").first()
            key = {"id": str(api_key["id"]), "name": api_key["name"], "prefix": api_key["prefix"]}
        order = list(ApiKey.Scope.values)
        return Response(
            {
                "clinic": {"id": str(clinic.id), "name": clinic.name, "timezone": clinic.timezone},
                "scopes": sorted(principal.scopes, key=order.index),
                "key": key,
            }
        )
