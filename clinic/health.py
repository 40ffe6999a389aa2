"""Load-balancer probes. /healthz: the process answers. /readyz: the database
answers and enforces tenant isolation for this app's role; 503 otherwise."""

from __future__ import annotations

from django.db import DatabaseError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tenancy.checks import database_problems


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
        return JsonResponse({"status": "unavailable", "reason": f"database: {exc}".strip()}, status=503)
    if problems:
        return JsonResponse({"status": "unavailable", "reason": "; ".join(problems)}, status=503)
    return JsonResponse({"status": "ok"})
