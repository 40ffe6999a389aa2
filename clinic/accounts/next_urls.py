"""`?next=` names a page by its path alone.

Django's sign-in redirects (login_required, the tenancy decorators, the admin) put
the whole address of the page asked for into `?next=`, query string included, and
that address is then written to access logs and browser history on the way to the
login page. A query string may carry what a patient was searched by, so this
middleware cuts it from `next` in every redirect; the user returns to the page
itself. (The idle sign-out, which runs outside this middleware, does the same.)"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse

NEXT = "next"


class NextWithoutQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if 300 <= response.status_code < 400 and response.has_header("Location"):
            response["Location"] = without_query_in_next(response["Location"])
        return response


def without_query_in_next(url: str) -> str:
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    if not any(name == NEXT and ("?" in value or "#" in value) for name, value in params):
        return url
    cleaned = [(name, _path_only(value) if name == NEXT else value) for name, value in params]
    return urlunsplit(parts._replace(query=urlencode(cleaned, safe="/")))


def _path_only(url: str) -> str:
    return url.split("#", 1)[0].split("?", 1)[0]
