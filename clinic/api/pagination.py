"""Cursor pagination on a unique, stable ordering (keyset): each page continues
strictly after the last row of the one before, so rows added or changed meanwhile
never shift a page, and every page costs one query whatever its position.

A cursor holds the last row's ordering values, and for patients those are names: the
cursor travels in a URL, into access logs, so it is encrypted and authenticated
(Fernet, with a key derived from SECRET_KEY). It tells its reader nothing, and a cursor
this API did not give out, or one from before SECRET_KEY changed, is refused."""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.utils.crypto import salted_hmac
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from clinic.api.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _invalid(param: str, message: str) -> ApiError:
    return ApiError(message, code="validation_error", fields={param: [message]})


def _cipher() -> Fernet:
    key = salted_hmac("clinic.api.pagination.cursor", "v1", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(key))


class KeysetPagination(BasePagination):
    """`?limit=` (1–200, default 50) and `?cursor=` from the previous page's `next`.

    The view names its ordering (`view.ordering`), ending in a unique field (the id);
    a field named with a leading "-" runs newest (largest) first, as in order_by()."""

    cursor_param = "cursor"
    limit_param = "limit"

    def paginate_queryset(self, queryset: QuerySet, request, view=None, columns=None, ordering=None) -> list:
        self.request = request
        self.ordering = tuple(ordering or view.ordering)
        self.fields = tuple(name.lstrip("-") for name in self.ordering)
        self.limit = self._limit(request)
        queryset = queryset.order_by(*self.ordering)
        self.list_label = f"{queryset.model._meta.label}:{','.join(self.ordering)}"
        position = self._position(request, queryset.model)
        if position is not None:
            queryset = queryset.filter(self._after(position))
        if columns:
            queryset = queryset.values(*columns)
        rows = list(queryset[: self.limit + 1])
        self.next_position = self._encode(rows[self.limit - 1]) if len(rows) > self.limit else None
        return rows[: self.limit]

    def get_paginated_response(self, data) -> Response:
        return Response({"next": self.get_next_link(), "results": data})

    def get_next_link(self) -> str | None:
        url = self.request.build_absolute_uri()
        if self.next_position is None:
            return None
        return replace_query_param(url, self.cursor_param, self.next_position)

    def get_previous_link(self) -> None:
        return None

    def _limit(self, request) -> int:
        raw = request.query_params.get(self.limit_param)
        if raw is None or raw == "":
            return DEFAULT_LIMIT
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise _invalid(self.limit_param, f"Give a whole number from 1 to {MAX_LIMIT}.")
        return int(raw)

    def _after(self, position: list) -> Q:
        """Rows strictly after `position` in the ordering: (a > x) or (a = x and b > y) …"""
        condition = Q()
        for index, (name, ordered) in enumerate(zip(self.fields, self.ordering, strict=True)):
            after = "lt" if ordered.startswith("-") else "gt"
            step = Q(**{f"{name}__{after}": position[index]})
            for earlier, value in zip(self.fields[:index], position[:index], strict=True):
                step &= Q(**{earlier: value})
            condition |= step
        return condition

    def _encode(self, row) -> str:
        values = [str(row[name] if isinstance(row, dict) else getattr(row, name)) for name in self.fields]
        # Bound to its list: a cursor of the appointments is no position among patients.
        return _cipher().encrypt(json.dumps([self.list_label, values]).encode()).decode().rstrip("=")

    def _position(self, request, model) -> list | None:
        raw = request.query_params.get(self.cursor_param)
        if not raw:
            return None
        try:
            label, values = json.loads(_cipher().decrypt(raw + "=" * (-len(raw) % 4)))
            if label != self.list_label or not isinstance(values, list) or len(values) != len(self.fields):
                raise ValueError
            return [model._meta.get_field(name).to_python(v) for name, v in zip(self.fields, values, strict=True)]
        except (InvalidToken, ValueError, TypeError, DjangoValidationError, UnicodeDecodeError):
            raise _invalid(self.cursor_param, "This cursor is not one this API gave out.") from None

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_param,
                "in": "query",
                "required": False,
                "description": "Where to continue: the `cursor` of the previous page's `next` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.limit_param,
                "in": "query",
                "required": False,
                "description": f"Rows per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            },
        ]

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page, or null on the last page.",
                    "example": "https://clinic.example.org/api/v1/appointments/?cursor=WyIyMDMwLTAxLTA3Il0&limit=50",
                },
                "results": schema,
            },
        }
