"""The clinic's voice settings at /calls/settings/, for owners and admins (anyone
else gets 404, like the SMS settings)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from clinic.appointments.forms import add_service_errors
from clinic.messaging.services import sms_settings_get
from clinic.voice.forms import VoiceSettingsForm
from clinic.voice.services import voice_settings_get, voice_settings_save
from tenancy.decorators import manager_required


@manager_required
@require_http_methods(["GET", "POST"])
def voice_settings_page(request: HttpRequest) -> HttpResponse:
    stored = voice_settings_get()
    form = VoiceSettingsForm(
        request.POST if request.method == "POST" else None, initial=VoiceSettingsForm.initial_from(stored)
    )
    if form.is_bound and form.is_valid():
        try:
            voice_settings_save(**form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Saved the voice settings.")
            return redirect("calls:settings")
    context = {
        "form": form,
        "stored": stored,
        "sms_number": sms_settings_get().sender_number,
        "webhook_url": request.build_absolute_uri(reverse("voice:twilio_call")),
    }
    return render(request, "voice/settings.html", context, status=400 if form.is_bound else 200)
