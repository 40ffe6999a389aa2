"""The clinic's SMS settings at /sms/settings/, for owners and admins (anyone else
gets 404, like the other manager pages)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clinic.appointments.forms import add_service_errors
from clinic.appointments.models import Appointment, Patient
from clinic.appointments.timezones import localize
from clinic.messaging.delivery import confirmation_link
from clinic.messaging.forms import SmsSettingsForm, placeholders
from clinic.messaging.models import SmsSettings
from clinic.messaging.rendering import render_confirmation
from clinic.messaging.services import sms_settings_get, sms_settings_save
from tenancy.decorators import manager_required
from tenancy.models import Organization

EXAMPLE_FIRST_NAME = "Alex"
EXAMPLE_TIME = dt.time(9, 30)


@manager_required
@require_http_methods(["GET", "POST"])
def sms_settings_page(request: HttpRequest) -> HttpResponse:
    stored = sms_settings_get()
    form = SmsSettingsForm(
        request.POST if request.method == "POST" else None, initial=SmsSettingsForm.initial_from(stored)
    )
    if form.is_bound and form.is_valid():
        try:
            sms_settings_save(**form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc, SmsSettingsForm.SERVICE_FIELDS)
        else:
            messages.success(request, "Saved the SMS settings.")
            return redirect("sms:settings")
    context = {
        "form": form,
        "stored": stored,
        "placeholders": placeholders(),
        "preview": example_text(request.organization, stored),
    }
    return render(request, "messaging/settings.html", context)


def example_text(clinic: Organization, sms_settings: SmsSettings) -> str:
    """The saved template filled in for a made-up patient tomorrow at 09:30, so the
    page shows what a patient would read (nothing is stored or sent)."""
    tomorrow = timezone.localdate(timezone=clinic.zone) + dt.timedelta(days=1)
    example = Appointment(
        starts_at=localize(tomorrow, EXAMPLE_TIME, clinic.zone),
        patient=Patient(first_name=EXAMPLE_FIRST_NAME),
    )
    try:
        return render_confirmation(example, clinic, sms_settings, link=confirmation_link("EXAMPLE"))
    except (KeyError, IndexError, ValueError):
        return ""  # a template saved before its checks existed; the form says what is wrong
