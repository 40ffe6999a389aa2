"""The SMS button on an appointment's page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from clinic.appointments.models import Appointment
from clinic.appointments.phones import format_phone
from clinic.messaging.services import send_confirmation_now
from tenancy.decorators import org_required


@org_required
@require_POST
def send_confirmation(request: HttpRequest, pk) -> HttpResponse:
    appointment = get_object_or_404(Appointment.objects.with_related(), pk=pk)
    try:
        send_confirmation_now(appointment=appointment, requested_by=request.user)
    except ValidationError as exc:
        messages.error(request, f"No text sent: {' '.join(exc.messages)}")
    else:
        patient = appointment.patient
        messages.success(request, f"A confirmation request is going out to {patient} ({format_phone(patient.phone)}).")
    return redirect("appointments:detail", pk=appointment.pk)
