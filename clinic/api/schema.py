"""The OpenAPI description: the bearer scheme, the error shape, and the responses
every endpoint shares. Imported by ApiConfig.ready(), so the extensions register."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from clinic.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from clinic.api.idempotency import MAX_KEY_LENGTH
from clinic.appointments import guards


class BearerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "clinic.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ck_live_…",
            "description": (
                "An API key of the clinic, created by its owners or admins on Settings → API keys "
                "(or `manage.py create_api_key`): `Authorization: Bearer ck_live_…`. The key decides "
                "the clinic; nothing in a request can choose another. Read-only keys may only GET."
            ),
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "tenancy.drf.TenantSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "Signed-in staff, in their active clinic. Writes need the X-CSRFToken header.",
        }


ErrorBody = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "code": serializers.CharField(help_text="Stable, for programs: validation_error, not_found, …"),
                "message": serializers.CharField(help_text="For people."),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()),
                    help_text="Each refused field (or header) and why; empty when not about fields.",
                ),
                "conflict_with": serializers.ChoiceField(
                    choices=["provider", "patient"],
                    required=False,
                    help_text="Double bookings (409) only: whose time is taken.",
                ),
                "conflicting_appointment": inline_serializer(
                    name="ConflictingAppointment",
                    fields={
                        "id": serializers.UUIDField(),
                        "starts_at": serializers.DateTimeField(),
                        "ends_at": serializers.DateTimeField(),
                        "provider": serializers.UUIDField(),
                        "patient": serializers.UUIDField(),
                    },
                    required=False,
                    help_text="Double bookings (409) only: the appointment in the way.",
                ),
                "warnings": serializers.ListField(
                    child=inline_serializer(
                        name="BookingWarning",
                        fields={
                            "code": serializers.ChoiceField(choices=list(guards.CODES)),
                            "message": serializers.CharField(),
                        },
                    ),
                    required=False,
                    help_text=(
                        "`confirmation_required` (422) only: what to confirm. Send the request again with "
                        "`override_warnings` naming each code to book anyway."
                    ),
                ),
            },
        )
    },
)


def _error_example(status: int, code: str, message: str, fields: dict | None = None, **extra) -> OpenApiExample:
    return OpenApiExample(
        code,
        value={"error": {"code": code, "message": message, "fields": fields or {}, **extra}},
        response_only=True,
        status_codes=[str(status)],
    )


ERRORS = {
    400: (
        "The request was refused; `fields` names what to fix.",
        [
            _error_example(
                400,
                "validation_error",
                "Some fields were refused: starts_at.",
                {"starts_at": ["Give the time with its UTC offset, e.g. 2030-01-07T09:00:00+01:00."]},
            ),
            _error_example(
                400,
                "organization_not_allowed",
                "The clinic comes from your API key, never from the request: remove `organization`.",
                {"organization": ["The clinic cannot be chosen in a request."]},
            ),
        ],
    ),
    401: (
        "No API key, or one that does not work (unknown, revoked or malformed: the answer is the same).",
        [_error_example(401, "invalid_api_key", "The API key is not valid.")],
    ),
    403: (
        "The key may not do this (a read-only key writing, say), or its clinic is suspended or closed.",
        [
            _error_example(403, "insufficient_scope", "This API key may only read."),
            _error_example(
                403,
                "clinic_suspended",
                "Riverside Clinic is suspended: its API is unavailable until it is reactivated.",
            ),
        ],
    ),
    404: ("No such object in this clinic.", [_error_example(404, "not_found", "Not found.")]),
    409: (
        "Double booking: the provider or the patient already has an appointment then.",
        [
            _error_example(
                409,
                "slot_conflict",
                "Dr Ada Lovelace already has Jane Doe at 09:00–09:30 (Europe/Berlin)",
                conflict_with="provider",
                conflicting_appointment={
                    "id": "5f0c6a43-1f7e-4a55-9a55-2c1f3e0b8d11",
                    "starts_at": "2030-01-07T09:00:00+01:00",
                    "ends_at": "2030-01-07T09:30:00+01:00",
                    "provider": "8a4f2f86-3d55-4a0e-9f0b-6a3c1d2e4b5f",
                    "patient": "0d6c1e9a-7b2f-4c3d-8e5f-1a2b3c4d5e6f",
                },
            )
        ],
    ),
    422: (
        "This Idempotency-Key was used for a different request.",
        [
            _error_example(
                422,
                "idempotency_key_reused",
                "This Idempotency-Key was used for a different request. Use a new key for a new request.",
                {IDEMPOTENCY_HEADER: ["Already used with another method, path or body."]},
            ),
        ],
    ),
    429: (
        "Too many requests for this key; see the Retry-After header.",
        [_error_example(429, "throttled", "Too many requests for this API key. Try again in 12 seconds.")],
    ),
}


def error_responses(*statuses: int, booking: bool = False) -> dict[int, OpenApiResponse]:
    """The shared error responses; `booking` adds the booking guards' 422 (a booking or a move)."""
    responses = {
        status: OpenApiResponse(ErrorBody, description=ERRORS[status][0], examples=ERRORS[status][1])
        for status in statuses
    }
    if booking:
        description, examples = ERRORS[422]
        responses[422] = OpenApiResponse(
            ErrorBody,
            description=(
                "The time needs confirming (`confirmation_required`: see `warnings`, and send `override_warnings`), "
                f"or: {description[0].lower()}{description[1:]}"
            ),
            examples=[CONFIRMATION_REQUIRED, *examples],
        )
    return responses


NIGHT = "It is at night (23:00–23:30, between 22:00 and 06:00 clinic time)."
CONFIRMATION_REQUIRED = _error_example(
    422, "confirmation_required", f"Please confirm: {NIGHT}", warnings=[{"code": "night_time", "message": NIGHT}]
)


READ_ERRORS = (401, 403, 429)
LIST_ERRORS = (400, *READ_ERRORS)
DETAIL_ERRORS = (*READ_ERRORS, 404)
CREATE_ERRORS = (400, 401, 403, 409, 422, 429)
UPDATE_ERRORS = (400, 401, 403, 404, 409, 422, 429)

IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID, say), up to "
        f"{MAX_KEY_LENGTH} characters. Sending the same request again with the same key within 24 hours "
        "replays the first response (header `Idempotent-Replayed: true`) and changes nothing; the same key "
        "with a different request is refused with 422."
    ),
)


def add_response_headers(result: dict, generator, request, public) -> dict:
    """SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]: the headers every endpoint may send,
    described once: Retry-After on 429, Location on 201, Idempotent-Replayed on POSTs."""
    headers = {
        "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}},
        "Location": {"description": "The new object's URL.", "schema": {"type": "string", "format": "uri"}},
        "Idempotent-Replayed": {
            "description": "`true` when this is the stored response to an earlier request with the same "
            "Idempotency-Key.",
            "schema": {"type": "string", "enum": ["true"]},
        },
    }
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                wanted = []
                if status == "429":
                    wanted.append("Retry-After")
                if status == "201":
                    wanted.append("Location")
                if method == "post" and status in ("200", "201"):
                    wanted.append("Idempotent-Replayed")
                if wanted:
                    response.setdefault("headers", {}).update({name: headers[name] for name in wanted})
    return result
