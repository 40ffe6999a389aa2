"""Load-balancer probes. /healthz: the process answers. /readyz: the database
answers and enforces tenant isolation for this app's role; 503 otherwise.

The probes are public, so /readyz tells the public only "ok" or "unavailable": the
reason names roles, tables and database errors, which help an attacker more than a
load balancer. The reason goes to the application log, and to a caller presenting
settings.READYZ_TOKEN (`Authorization: Bearer …`) when one is configured."""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tenancy.checks import database_problems

logger = logging.getLogger(__name__)


# Probes stay out of the per-request transaction: /healthz must answer without
# touching the database at all.
@transaction.non_atomic_requests
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@transaction.non_atomic_requests
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    try:
        problems = database_problems("default")
    except DatabaseError as exc:
        problems = [f"database: {exc}".strip()]
    if not problems:
        return JsonResponse({"status": "ok"})
    reason = "; ".join(problems)
    logger.error("Not ready: %s", reason)
    answer = {"status": "unavailable"}
    if _presents_token(request):
        answer["reason"] = reason
    return JsonResponse(answer, status=503)


def _presents_token(request: HttpRequest) -> bool:
    expected = settings.READYZ_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme != "Bearer" or not given:
        return False
    # Constant time: the comparison must not tell how much of a guess was right.
    return hmac.compare_digest(given.encode(), expected.encode())
