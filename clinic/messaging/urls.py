from django.urls import path

from clinic.messaging import link_views, webhooks

app_name = "messaging"

urlpatterns = [
    path("webhooks/sms/twilio/inbound/", webhooks.twilio_inbound, name="twilio_inbound"),
    path("webhooks/sms/twilio/status/", webhooks.twilio_status, name="twilio_status"),
    # Short on purpose: it goes in a text message.
    path("c/<str:token>", link_views.confirm, name="confirm"),
]
