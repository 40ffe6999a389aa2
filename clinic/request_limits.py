"""Request bodies over REQUEST_BODY_MAX_BYTES answer 413 before anything reads them.

Django enforces DATA_UPLOAD_MAX_MEMORY_SIZE only where a body is read, and the
RequestDataTooBig it raises then turns into a bare 400 page, or, inside the API (DRF
reads the body in the view), a 500. Deciding on Content-Length here, near the top of
the stack, gives every surface the same clear answer, before a session, a tenant
context or a transaction is opened. A body sent without Content-Length (chunked) is
never read by Django's WSGI handler: the view sees an empty body and refuses that.
The limit is on the whole body, which Django's setting is not (it leaves out file
uploads): Clinic takes no uploads, so nothing legitimate comes near it."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from clinic.api.errors import body


def _too_large(request: HttpRequest) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    message = f"The request body is larger than this server accepts ({limit} bytes)."
    if request.path_info.startswith("/api/"):
        return JsonResponse(body("request_too_large", message), status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


def declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # unreadable: Django reads such a body as empty too


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and declared_length(request) > limit:
            return _too_large(request)
        return self.get_response(request)
