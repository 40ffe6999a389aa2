"""Views that write and then fail, to prove a failed request keeps none of its writes."""

from __future__ import annotations

from django.db import connection, transaction
from django.http import Http404, HttpResponse
from django.urls import include, path

from tenancy.request_transaction import after_view
from tests.tenant_app.models import Ledger


def write_then_crash(request) -> HttpResponse:
    Ledger.objects.create(name="half-done")
    raise RuntimeError("boom")


def write_then_404(request) -> HttpResponse:
    Ledger.objects.create(name="half-done")
    raise Http404("gone")


def write(request) -> HttpResponse:
    Ledger.objects.create(name="kept")
    return HttpResponse("ok")


def read(request) -> HttpResponse:
    return HttpResponse(str(Ledger.objects.count()))


def write_then_undo(request) -> HttpResponse:
    """Writes, then asks for the write to be undone (as DRF does for an error it answers)."""
    Ledger.objects.create(name="undone")
    transaction.set_rollback(True)
    return HttpResponse("undone")


def failed_statement(request) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")
    return HttpResponse("unreachable")


def record_shown() -> None:
    after_view(lambda: Ledger.objects.create(name="shown"))


def read_and_record(request) -> HttpResponse:
    record_shown()
    return HttpResponse(str(Ledger.objects.count()))


def record_then_crash(request) -> HttpResponse:
    record_shown()
    raise RuntimeError("boom")


def record_then_undo(request) -> HttpResponse:
    record_shown()
    transaction.set_rollback(True)
    return HttpResponse("undone")


def write_and_record_then_fail(request) -> HttpResponse:
    Ledger.objects.create(name="half-done")

    def fail() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")

    after_view(fail)
    return HttpResponse("unrecorded")


urlpatterns = [
    path("crash/", write_then_crash),
    path("missing/", write_then_404),
    path("write/", write),
    path("read/", read),
    path("undo/", write_then_undo),
    path("failed-statement/", failed_statement),
    path("shown/", read_and_record),
    path("shown-then-crash/", record_then_crash),
    path("shown-then-undo/", record_then_undo),
    path("unrecorded/", write_and_record_then_fail),
    # The product's pages too: the error pages' layout links to them.
    path("", include("clinic.urls")),
]
