"""The audit page of owners and admins: who did what, filtered, and its CSV export
(itself an audited `export`)."""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinic.api.models import ApiKey
from clinic.appointments.models import Patient
from clinic.audit.selectors import AuditFilterForm, clinic_members, filtered_events
from clinic.audit.trail import Action, record
from tenancy.decorators import manager_required

EVENTS_PER_PAGE = 50
CSV_COLUMNS = (
    "at",
    "action",
    "actor_type",
    "actor_label",
    "actor_user_id",
    "actor_api_key_id",
    "object_type",
    "object_id",
    "patient_id",
    "changed_fields",
    "ip_address",
    "user_agent",
    "request_id",
)


@manager_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, members=clinic_members())
    filters = form.cleaned_data if form.is_valid() else {}
    events = filtered_events(filters, request.organization.zone)
    if request.GET.get("format") == "csv" and form.is_valid():
        return _csv(events, filters)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    _name_patients_and_keys(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    patient = filters.get("patient")
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "patient_filter": patient,
        "patient": Patient.objects.filter(pk=patient).first() if patient else None,
    }
    return render(request, "audit/audit_list.html", context)


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run: a user agent is the client's to choose,
    and one starting with = + - @ would be read as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _name_patients_and_keys(events) -> None:
    """The names of the page's patients that still exist and of its API keys (a query
    each); a deleted patient shows as their id."""
    ids = {event.patient_id for event in events if event.patient_id}
    names = {p.pk: p.full_name for p in Patient.objects.filter(pk__in=ids).only("first_name", "last_name")}
    for event in events:
        event.patient_name = names.get(event.patient_id, "")
    key_ids = {event.actor_api_key_id for event in events if event.actor_api_key_id}
    keys = {key.pk: f"API key “{key.name}” ({key.prefix}…)" for key in ApiKey.objects.filter(pk__in=key_ids)}
    for event in events:
        event.actor_name = keys.get(event.actor_api_key_id, "") or event.actor_label


def _csv(events, filters: dict) -> HttpResponse:
    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for event in events.iterator(chunk_size=500):
            values = [getattr(event, column) for column in CSV_COLUMNS]
            values[0] = event.at.isoformat()
            values[CSV_COLUMNS.index("changed_fields")] = " ".join(event.changed_fields)
            yield writer.writerow([_cell(value) for value in values])

    # Built in full, inside the request's tenant transaction: a streamed body would
    # be read after the transaction (and its tenant setting) has ended.
    response = HttpResponse("".join(rows()), content_type="text/csv; charset=utf-8")
    # The export is itself recorded (after it was read: it is not in itself), with
    # the names of the filters used (who, whom, what, when).
    used = [name for name, value in filters.items() if value]
    record(Action.EXPORT, object_type="audit.AuditEvent", patient_id=filters.get("patient"), changed_fields=used)
    response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
    return response
