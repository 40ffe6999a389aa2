"""Owners and admins export a patient's data (JSON, or a readable HTML summary) and
erase it. Another clinic's patient is a 404 (recorded as view_denied here)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from clinic.appointments.models import Patient
from clinic.audit.reads import not_found
from clinic.data_rights.services import patient_erase, patient_export
from tenancy.decorators import manager_required


@manager_required
@require_GET
def patient_export_view(request: HttpRequest, pk) -> HttpResponse:
    patient = Patient.objects.filter(pk=pk).first()
    if patient is None:
        return not_found(request, Patient, pk)
    as_json = request.GET.get("format") == "json"
    data = patient_export(patient=patient, export_format="json" if as_json else "html")
    if not as_json:
        return render(request, "audit/patient_export.html", {"patient": patient, "data": data})
    response = HttpResponse(json.dumps(data, cls=DjangoJSONEncoder, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}.json"'
    return response


@manager_required
@require_http_methods(["GET", "POST"])
def patient_erase_view(request: HttpRequest, pk) -> HttpResponse:
    patient = Patient.objects.filter(pk=pk, erased_at__isnull=True).first()
    if patient is None:
        return not_found(request, Patient, pk)
    if request.method == "POST":
        patient_erase(patient=patient)
        messages.success(request, "The patient's personal data is erased; their appointments are kept, pseudonymised.")
        return redirect("patients:detail", pk=patient.pk)
    return render(request, "audit/patient_erase.html", {"patient": patient})
