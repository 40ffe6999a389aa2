"""The SMS log at /sms/: every text of the active clinic, newest first."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from clinic.appointments.models import Patient
from clinic.messaging.forms import LogFilterForm
from clinic.messaging.selectors import log_messages
from tenancy.decorators import org_required

MESSAGES_PER_PAGE = 50


@org_required
@require_GET
def sms_log(request: HttpRequest) -> HttpResponse:
    form = LogFilterForm(request.GET)
    form.is_valid()  # each valid filter applies; the others are shown as errors
    data = form.cleaned_data
    if "patient" in form.errors:
        raise Http404("No such patient.")
    # Picked from a patient's page; another clinic's patient is a 404, as everywhere.
    patient = get_object_or_404(Patient.objects, pk=data["patient"]) if data.get("patient") else None
    since, before = form.time_range(request.organization.zone)
    messages = log_messages(
        since=since,
        before=before,
        direction=data.get("direction", ""),
        status=data.get("status", ""),
        patient=patient,
        query=data.get("q", ""),
    )
    page = Paginator(messages, MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    filtered = any(data.get(name) for name in form.fields)
    context = {"form": form, "page": page, "patient": patient, "filtered": filtered}
    return render(request, "messaging/log.html", context)
