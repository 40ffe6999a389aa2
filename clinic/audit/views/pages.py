"""The audit page of owners and admins: who did what, filtered, and its CSV export
(itself an audited `export`).

The filters POST and wait in the session behind `?s=` (clinic.core.search_terms): a
patient's name never travels in a URL. A link may still filter by the rest
(`?patient=<id>` from a patient's page, user, action, dates)."""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from clinic.appointments.models import Patient
from clinic.audit.naming import name_events, patient_label, with_names
from clinic.audit.selectors import AuditFilterForm, clinic_members, filtered_events
from clinic.audit.trail import Action, record
from clinic.core.search_terms import recall, search_redirect
from tenancy.decorators import manager_required
from tenancy.replica import replica_reads

EVENTS_PER_PAGE = 50
FILTERS = tuple(AuditFilterForm.base_fields)
# Typed by a person: never taken from a URL.
SEARCH_TEXT = "patient_name"
TERM_MAX_LENGTH = 100
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
@require_http_methods(["GET", "POST"])
def audit_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return search_redirect(request, {name: request.POST.get(name, "")[:TERM_MAX_LENGTH] for name in FILTERS})
    # The trail is read from the replica, if there is one (tenancy.replica), and the page
    # rendered there too; the export's own event is written to the primary all the same.
    with replica_reads() as using:
        members = clinic_members(using=using)
        form = AuditFilterForm(recall(request) or _link_filters(request), members=members)
        filters = form.cleaned_data if form.is_valid() else {}
        events = filtered_events(filters, request.organization.zone).using(using)
        if request.GET.get("format") == "csv" and form.is_valid():
            return _csv(events, filters)
        page = Paginator(with_names(events), EVENTS_PER_PAGE).get_page(request.GET.get("page"))
        name_events(page.object_list, request.organization, members)
        query = request.GET.copy()
        query.pop("page", None)
        context = {"form": form, "page": page, "query": query.urlencode(), "about": _about(filters)}
        return render(request, "audit/audit_list.html", context)


def _link_filters(request: HttpRequest) -> dict[str, str]:
    return {name: request.GET[name] for name in FILTERS if name != SEARCH_TEXT and name in request.GET}


def _about(filters: dict) -> str:
    """Whom the events are about, for the page's heading."""
    if filters.get("patient"):
        patient = Patient.objects.filter(pk=filters["patient"]).first()
        return patient_label(patient) if patient else "a deleted patient"
    if filters.get("patient_name"):
        return f"patients named “{filters['patient_name']}”"
    return ""


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run: a user agent is the client's to choose,
    and one starting with = + - @ would be read as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


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
