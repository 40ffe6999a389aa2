"""Views that write and then fail, to prove a failed request keeps none of its writes."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.urls import include, path

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


urlpatterns = [
    path("crash/", write_then_crash),
    path("missing/", write_then_404),
    path("write/", write),
    # The product's pages too: the error pages' layout links to them.
    path("", include("clinic.urls")),
]
