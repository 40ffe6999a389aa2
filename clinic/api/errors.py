"""Every API error in one shape:

    {"error": {"code": "validation_error", "message": "…", "fields": {"starts_at": ["…"]}}}

`code` is stable and meant for programs; `message` is for people; `fields` names each
field that was refused (empty when the error is not about fields). A double booking
adds `conflicting_appointment`, the appointment in the way; a time that needs
confirming (clinic.appointments.guards) answers 422 `confirmation_required` with
`warnings`, each a code and a message."""

from __future__ import annotations

import logging

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from clinic.appointments.errors import BookingNeedsConfirmation, SlotConflict
from clinic.unavailable import RETRY_AFTER_SECONDS, api_error_body, database_down

logger = logging.getLogger(__name__)

NON_FIELD = "non_field_errors"


class ApiError(exceptions.APIException):
    """An error with a code of its own and, optionally, the fields it is about."""

    def __init__(self, message: str, *, code: str, status_code: int = 400, fields: dict | None = None) -> None:
        super().__init__(message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.fields = fields or {}


def organization_in_input(path: str) -> ApiError:
    return ApiError(
        f"The clinic comes from your API key, never from the request: remove `{path}`.",
        code="organization_not_allowed",
        fields={path: ["The clinic cannot be chosen in a request."]},
    )


def body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


# DRF's own exceptions: their status and the code we give each.
CODES = {
    exceptions.ParseError: "parse_error",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "invalid_api_key",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def exception_handler(exc: Exception, context: dict) -> Response:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error of the API in the one shape."""
    set_rollback()
    if isinstance(exc, Http404):
        return _response(status.HTTP_404_NOT_FOUND, body("not_found", "Not found."))
    if isinstance(exc, DjangoPermissionDenied):
        return _response(status.HTTP_403_FORBIDDEN, body("permission_denied", "You may not do this."))
    if isinstance(exc, SlotConflict):
        return _response(status.HTTP_409_CONFLICT, _slot_conflict(exc, context))
    if isinstance(exc, BookingNeedsConfirmation):
        warnings = [warning.as_dict() for warning in exc.warnings]
        return _response(422, body("confirmation_required", exc.messages[0], warnings=warnings))
    if isinstance(exc, DjangoValidationError):
        return _validation_response(_django_fields(exc))
    if isinstance(exc, ApiError):
        return _response(exc.status_code, body(exc.error_code, str(exc.detail), exc.fields))
    if isinstance(exc, exceptions.ValidationError):
        return _validation_response(_drf_fields(exc.detail))
    if isinstance(exc, exceptions.APIException):
        return _api_exception(exc)
    if database_down(exc):
        # The database is unreachable for now: the client should retry, nothing was changed.
        return _response(503, api_error_body(), {"Retry-After": str(RETRY_AFTER_SECONDS)})
    logger.exception("API request failed", exc_info=exc)
    return _response(
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        body("server_error", "Something went wrong on our side. Nothing was changed; try again later."),
    )


def _response(status_code: int, data: dict, headers: dict | None = None) -> Response:
    return Response(data, status=status_code, headers=headers)


def _api_exception(exc: exceptions.APIException) -> Response:
    code = next((code for cls, code in CODES.items() if isinstance(exc, cls)), "error")
    detail_code = getattr(exc.detail, "code", None)
    if isinstance(exc, exceptions.PermissionDenied) and detail_code and detail_code != "permission_denied":
        code = detail_code  # e.g. insufficient_scope
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    message = str(exc.detail) if not isinstance(exc.detail, list | dict) else "The request was refused."
    if isinstance(exc, exceptions.NotAuthenticated):
        message = "Send an API key of the clinic: Authorization: Bearer ck_live_…"
    if isinstance(exc, exceptions.Throttled):
        wait = max(1, int(exc.wait or 1))
        headers["Retry-After"] = str(wait)
        message = f"Too many requests for this API key. Try again in {wait} second{'s' if wait != 1 else ''}."
    return _response(exc.status_code, body(code, message), headers)


def _validation_response(fields: dict[str, list[str]]) -> Response:
    general = fields.get(NON_FIELD)
    if general:
        message = general[0]
    elif len(fields) == 1:
        ((name, messages),) = fields.items()
        message = f"{name}: {messages[0]}"
    else:
        message = "Some fields were refused: " + ", ".join(sorted(fields)) + "."
    return _response(status.HTTP_400_BAD_REQUEST, body("validation_error", message, fields))


def _drf_fields(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's error detail, flattened to {"field": [messages]} ("items.0.name" when nested)."""
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for name, value in detail.items():
            key = f"{prefix}.{name}" if prefix else str(name)
            fields.update(_drf_fields(value, key))
        return fields
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or NON_FIELD: [str(item) for item in detail]}
        fields = {}
        for index, item in enumerate(detail):
            fields.update(_drf_fields(item, f"{prefix}.{index}" if prefix else str(index)))
        return fields
    return {prefix or NON_FIELD: [str(detail)]}


def _django_fields(exc: DjangoValidationError) -> dict[str, list[str]]:
    if not hasattr(exc, "error_dict"):
        return {NON_FIELD: list(exc.messages)}
    return {
        (NON_FIELD if name == NON_FIELD_ERRORS else name): list(DjangoValidationError(errors).messages)
        for name, errors in exc.error_dict.items()
    }


def _slot_conflict(exc: SlotConflict, context: dict) -> dict:
    conflicting = exc.conflicting
    extra = {}
    if conflicting is not None:
        request = context.get("request")
        organization = getattr(request, "organization", None)
        zone = organization.zone if organization is not None else None
        extra["conflicting_appointment"] = {
            "id": str(conflicting.pk),
            "starts_at": _iso(conflicting.starts_at, zone),
            "ends_at": _iso(conflicting.ends_at, zone),
            "provider": str(conflicting.provider_id),
            "patient": str(conflicting.patient_id),
        }
    conflict_with = (exc.code or "").removesuffix("_overlap")
    if conflict_with in ("provider", "patient", "busy_calendar"):
        extra = {"conflict_with": conflict_with, **extra}
    return body("slot_conflict", exc.messages[0], **extra)


def _iso(value, zone) -> str:
    return (value.astimezone(zone) if zone else value).isoformat()


# It reads nothing and writes nothing, so neither the CSRF check (an HTML 403 for a
# POST) nor the request transaction applies.
@csrf_exempt
@transaction.non_atomic_requests
def not_found(request, *args, **kwargs) -> JsonResponse:
    """Unknown URLs under /api/: the same JSON shape as everything else."""
    return JsonResponse(body("not_found", "No such API endpoint."), status=404)
