"""Every request gets an id (its `X-Request-ID` if well-formed, else a new one), sent
back in the response and written on the audit events it records."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from clinic.audit.trail import serving

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's or load balancer's id: letters, digits and - _ . : only, short enough to store.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def request_id_of(request: HttpRequest) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if VALID_REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = request_id_of(request)
        with serving(request):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        return response
