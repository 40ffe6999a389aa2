"""Every request gets an id (its `X-Request-ID` if well-formed, else a new one), sent
back in the response and written on the audit events it records."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse

from clinic.audit.models import AuditEvent
from clinic.audit.trail import record, serving

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

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """A staff page that answered 404 for an id in its URL (an edit form, a status
        button, a reply): the prober's own clinic records a `view_denied`; the clinic
        the id may belong to records nothing, since RLS shows it nothing. Runs after the
        view's savepoint rolled back and inside the request's tenant transaction, so
        the event is kept. (Detail pages and the API record theirs themselves.)"""
        if not isinstance(exception, Http404) or getattr(request, "organization", None) is None:
            return None
        match = request.resolver_match
        pk = match.kwargs.get("pk") if match else None
        if pk is not None:
            record(AuditEvent.Action.VIEW_DENIED, object_type=f"page {match.view_name}", object_id=_as_uuid(pk))
        return None


def _as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
