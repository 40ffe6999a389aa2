"""The clinic's SMS settings at /sms/settings/, for owners and admins (anyone else
gets 404, like the other manager pages)."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clinic.appointments.forms import add_service_errors
from clinic.appointments.models import Appointment, Patient
from clinic.core.timezones import localize
from clinic.messaging.delivery import confirmation_link
from clinic.messaging.forms import SmsSettingsForm, placeholders
from clinic.messaging.models import SmsSettings
from clinic.messaging.rendering import render_confirmation, template_values
from clinic.messaging.segments import segments
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
    example = example_values(request.organization, stored)
    text = form["template"].value() or ""
    try:
        filled = text.format(**example)
    except (KeyError, IndexError, ValueError):
        filled = text  # the form says what is wrong with it
    context = {
        "form": form,
        "stored": stored,
        "placeholders": placeholders(),
        "preview": example_text(request.organization, stored),
        "segments": segments(filled),
        "example_json": json.dumps(example),
    }
    return render(request, "messaging/settings.html", context)


def _example_appointment(clinic: Organization) -> Appointment:
    tomorrow = timezone.localdate(timezone=clinic.zone) + dt.timedelta(days=1)
    return Appointment(
        starts_at=localize(tomorrow, EXAMPLE_TIME, clinic.zone), patient=Patient(first_name=EXAMPLE_FIRST_NAME)
    )


def _example_link() -> str:
    # As long as a real link: the token of a real text has this many characters.
    random_part, signature = "E" * 22, "X" * 11
    return confirmation_link(random_part + signature)


def example_values(clinic: Organization, sms_settings: SmsSettings) -> dict[str, str]:
    """Each placeholder's text for the example, for counting segments while editing."""
    return template_values(_example_appointment(clinic), clinic, sms_settings, link=_example_link())


def example_text(clinic: Organization, sms_settings: SmsSettings) -> str:
    """The saved template filled in for a made-up patient tomorrow at 09:30, so the
    page shows what a patient would read (nothing is stored or sent)."""
    try:
        return render_confirmation(_example_appointment(clinic), clinic, sms_settings, link=_example_link())
    except (KeyError, IndexError, ValueError):
        return ""  # a template saved before its checks existed; the form says what is wrong
