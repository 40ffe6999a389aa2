"""Reading one record, audited: a `view` event for a record shown, a `view_denied`
event for an id the clinic has no record of (another clinic's, or none).

The probed clinic learns nothing: the lookup runs under its own clinic's RLS, so
another clinic's row is never read, and the event goes to the prober's clinic. The
404 is returned, not raised: an exception would roll the request's transaction back,
and the `view_denied` event with it.

A `view` event is written once the view has returned (`record_view`): it records a
page shown, not one that failed, and costs the page no savepoint."""

from __future__ import annotations

import uuid
from functools import partial

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.views.defaults import page_not_found

from clinic.audit.trail import Action, record
from tenancy.request_transaction import after_view


def view_or_not_found(request: HttpRequest, queryset: QuerySet, pk) -> tuple[Model | None, HttpResponse | None]:
    """The record `pk` of this clinic (a `view` event), or the 404 page to return."""
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        return None, not_found(request, queryset.model, pk)
    record_view(obj)
    return obj, None


def record_view(obj: Model) -> None:
    """A `view` event for `obj`, in the request's transaction once its page is ready."""
    after_view(partial(record, Action.VIEW, obj=obj))


def not_found(request: HttpRequest, model: type[Model], pk) -> HttpResponse:
    denied(model, pk)
    return page_not_found(request, Http404("No such record."))


def denied(model: type[Model], pk) -> None:
    record(Action.VIEW_DENIED, object_type=model._meta.label, object_id=_as_uuid(pk))


def _as_uuid(pk) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(pk))
    except ValueError:
        return None
