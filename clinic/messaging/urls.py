"""The messaging app's URLs, included from clinic/urls.py: the provider's webhooks and
the confirmation link a text carries (`urlpatterns`, at the root), and the staff's SMS
pages (`page_patterns`, under `sms/`). Object ids are UUIDs looked up in the active
clinic; the clinic is never in a URL."""

from __future__ import annotations

from django.urls import path

from clinic.messaging.views import appointments, inbox, links, log, opt_out_import, settings_page, webhooks

app_name = "messaging"

urlpatterns = [
    path("webhooks/sms/twilio/inbound/", webhooks.twilio_inbound, name="twilio_inbound"),
    path("webhooks/sms/twilio/status/", webhooks.twilio_status, name="twilio_status"),
    # Short on purpose: it goes in a text message.
    path("c/<str:token>", links.confirm, name="confirm"),
]

page_patterns = (
    [
        path("", log.sms_log, name="log"),
        path("inbox/", inbox.inbox, name="inbox"),
        path("inbox/<uuid:pk>/handled/", inbox.mark_handled, name="mark_handled"),
        path("inbox/<uuid:pk>/reply/", inbox.reply, name="reply"),
        path("settings/", settings_page.sms_settings_page, name="settings"),
        path("settings/opt-outs/", opt_out_import.opt_out_import, name="opt_out_import"),
        path("appointments/<uuid:pk>/confirmation/", appointments.send_confirmation, name="send_confirmation"),
    ],
    "sms",
)
