"""A closed clinic's export: its owners download everything it holds (every patient's
data export, as on a patient's export page) until the grace period ends; then the
purge deletes it. The clinic is named by the owner's own membership, posted from the
picker, never by the URL; anything else is a 404. Whether the export is still
offered is the status rule's (clinic.core.status: an exception for a closed
clinic during its grace period)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clinic.accounts.forms import ClinicSwitchForm
from clinic.appointments.models import Patient
from clinic.core.status import closed_export_offered
from clinic.data_rights.services import patient_export
from tenancy.context import tenant_context
from tenancy.decorators import without_active_org
from tenancy.models import Membership, Organization


def clinic_export(clinic: Organization) -> dict:
    """Everything of the current clinic, by patient (each export audited)."""
    return {
        "exported_at": timezone.now(),
        "clinic": {"id": clinic.pk, "name": clinic.name, "slug": clinic.slug, "status": clinic.status},
        "patients": [patient_export(patient=patient) for patient in Patient.objects.order_by("created_at")],
    }


@without_active_org
@login_required
@require_POST
def closed_clinic_export(request: HttpRequest) -> HttpResponse:
    form = ClinicSwitchForm(request.POST)
    if not form.is_valid():
        raise Http404("No such clinic.")
    membership = (
        Membership.objects.select_related("organization")
        .filter(pk=form.cleaned_data["membership"], user=request.user, role=Membership.Role.OWNER)
        .first()
    )
    if membership is None or not closed_export_offered(membership.organization):
        raise Http404("No such clinic.")
    clinic = membership.organization
    with tenant_context(org=clinic.pk, user=request.user):
        data = clinic_export(clinic)
    response = HttpResponse(json.dumps(data, cls=DjangoJSONEncoder, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="clinic-{clinic.slug}-export.json"'
    return response
