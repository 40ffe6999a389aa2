"""The SMS log at /sms/: every text of the active clinic, newest first."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from clinic.appointments.models import Patient
from clinic.core.search_terms import recall, search_redirect
from clinic.messaging.forms import LogFilterForm
from clinic.messaging.selectors import log_messages
from tenancy.decorators import org_required
from tenancy.replica import replica_reads

MESSAGES_PER_PAGE = 50
FILTERS = tuple(LogFilterForm.base_fields)
# The free-text filter: what a patient is searched by, never taken from a URL.
SEARCH_TEXT = "q"
TERM_MAX_LENGTH = 100


@org_required
@require_http_methods(["GET", "POST"])
def sms_log(request: HttpRequest) -> HttpResponse:
    """The filters POST, and wait in the session behind `?s=` (clinic.core.search_terms):
    a patient's name or phone digits never travel in a URL. A link may still filter
    by the rest (`?patient=<id>` from a patient's page, direction, status, dates)."""
    if request.method == "POST":
        return search_redirect(request, {name: request.POST.get(name, "")[:TERM_MAX_LENGTH] for name in FILTERS})
    form = LogFilterForm(recall(request) or _link_filters(request))
    form.is_valid()  # each valid filter applies; the others are shown as errors
    data = form.cleaned_data
    if "patient" in form.errors:
        raise Http404("No such patient.")
    # Picked from a patient's page; another clinic's patient is a 404, as everywhere.
    patient = get_object_or_404(Patient.objects, pk=data["patient"]) if data.get("patient") else None
    since, before = form.time_range(request.organization.zone)
    filtered = any(data.get(name) for name in form.fields)
    # The log is read from the replica, if there is one (tenancy.replica), and the page
    # rendered there too: a row it shows may load what it links to.
    with replica_reads() as using:
        messages = log_messages(
            since=since,
            before=before,
            direction=data.get("direction", ""),
            status=data.get("status", ""),
            patient=patient,
            query=data.get("q", ""),
        ).using(using)
        page = Paginator(messages, MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
        context = {"form": form, "page": page, "patient": patient, "filtered": filtered}
        return render(request, "messaging/log.html", context)


def _link_filters(request: HttpRequest) -> dict[str, str]:
    return {name: request.GET[name] for name in FILTERS if name != SEARCH_TEXT and name in request.GET}
