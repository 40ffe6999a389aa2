"""The SMS button on an appointment's page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from clinic.appointments.models import Appointment
from clinic.core.phones import format_phone
from clinic.messaging.models import ConfirmationRequest
from clinic.messaging.services import send_confirmation_now
from tenancy.decorators import org_required


@org_required
@require_POST
def send_confirmation(request: HttpRequest, pk) -> HttpResponse:
    appointment = get_object_or_404(Appointment.objects.with_related(), pk=pk)
    try:
        sent = send_confirmation_now(appointment=appointment, requested_by=request.user)
    except ValidationError as exc:
        messages.error(request, f"No text sent: {' '.join(exc.messages)}")
    else:
        patient = appointment.patient
        to = f"{patient} ({format_phone(patient.phone)})"
        if sent.status == ConfirmationRequest.Status.PENDING:
            local = timezone.localtime(sent.due_at, request.organization.zone)
            when = f"{date_format(local, 'MONTH_DAY_FORMAT')}, {date_format(local, 'H:i')}"
            messages.success(request, f"A confirmation request to {to} will go out {when}. {sent.window_note}".strip())
        else:
            messages.success(request, f"A confirmation request is going out to {to}.")
    return redirect("appointments:detail", pk=appointment.pk)
