"""While PostgreSQL cannot be reached (restarting, failing over, a dropped connection),
pages and API calls answer 503 with Retry-After, not 500: the client should simply try
again, and a load balancer or integrator can tell "down for a moment" from "broken".

An exception escaping a view or middleware is turned into a 500 response by Django
before an outer middleware sees it, so the exception is noted on the request when
Django reports it (`got_request_exception`), and the middleware, near the top of the
stack, swaps that 500 for the 503. The API's own error handler answers its 503 itself.
Connections recover on their own: a broken one is closed at the end of its request
(and, with CONN_MAX_AGE, health-checked before reuse).

With a primary and standbys (a multi-host DATABASE_URL with
`target_session_attrs=read-write`), a failover looks the same: connections to the old
primary break, and new ones find no writable server until the standby is promoted. A
kept connection to a server that has just become a standby is not broken but refuses
writes (SQLSTATE 25006): that too is "down for a moment", and the connection is closed
when its request ends, so the next one connects to the new primary.

A job deferred once its transaction has committed (tenancy.jobs.defer_on_commit) can
find the connection broken by then: procrastinate raises its own ConnectorException
from the driver's error. That is "down for a moment" too. The change itself is
committed (an in-doubt answer, as for a connection lost at COMMIT): a client retrying
with its Idempotency-Key gets the stored booking, and the lost job is deferred again
by its minute tick (clinic.api.webhooks.tasks, clinic.messaging.tasks)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

import psycopg
from django.core.signals import got_request_exception, request_finished
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from procrastinate.exceptions import ConnectorException

# Connection refused or lost, server shutting down, "connection already closed".
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
MESSAGE = "The service is briefly unavailable. Nothing was changed; try again in a few seconds."
_NOTED = "_database_unavailable"


READ_ONLY_TRANSACTION = "25006"  # a write sent to a standby
_connections_to_drop = threading.local()


def database_down(exc: BaseException | None) -> bool:
    if isinstance(exc, DATABASE_DOWN):
        return True
    if isinstance(exc, ConnectorException) and isinstance(
        exc.__cause__, (psycopg.OperationalError, psycopg.InterfaceError)
    ):
        return True
    if _sqlstate(exc) == READ_ONLY_TRANSACTION or _sqlstate(getattr(exc, "__cause__", None)) == READ_ONLY_TRANSACTION:
        _connections_to_drop.pending = True  # connected to a standby: reconnect next time
        return True
    return False


def _sqlstate(exc: BaseException | None) -> str | None:
    return getattr(exc, "sqlstate", None)


def _drop_connections_to_a_standby(sender, **kwargs) -> None:
    """After a request that wrote to a standby, its kept connections go (outside any
    transaction by now): the next request's connect finds the primary."""
    if getattr(_connections_to_drop, "pending", False):
        _connections_to_drop.pending = False
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:
                connection.close()


def api_error_body() -> dict:
    return {"error": {"code": "service_unavailable", "message": MESSAGE, "fields": {}}}


def _note_database_down(sender, request: HttpRequest | None = None, **kwargs) -> None:
    # Sent from inside Django's `except` block, so the exception is the current one.
    if request is not None and database_down(sys.exc_info()[1]):
        setattr(request, _NOTED, True)


got_request_exception.connect(_note_database_down, dispatch_uid="clinic.unavailable")
request_finished.connect(_drop_connections_to_a_standby, dispatch_uid="clinic.unavailable.standby")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _NOTED, False):
            return unavailable_response(request)
        return response


def unavailable_response(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        response = JsonResponse(api_error_body(), status=503)
    else:
        # Rendered without the request: the context processors read the database.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
