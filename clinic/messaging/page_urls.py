"""URLs of the staff's SMS pages, included from clinic/urls.py under `sms/`.
Object ids are UUIDs looked up in the active clinic; the clinic is never in a URL."""

from __future__ import annotations

from django.urls import path

from clinic.messaging.views import appointments, inbox, log, opt_out_import, settings_page

app_name = "sms"

urlpatterns = [
    path("", log.sms_log, name="log"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<uuid:pk>/handled/", inbox.mark_handled, name="mark_handled"),
    path("inbox/<uuid:pk>/reply/", inbox.reply, name="reply"),
    path("settings/", settings_page.sms_settings_page, name="settings"),
    path("settings/opt-outs/", opt_out_import.opt_out_import, name="opt_out_import"),
    path("appointments/<uuid:pk>/confirmation/", appointments.send_confirmation, name="send_confirmation"),
]
