"""/api/: the integrator API (v1), its OpenAPI schema and interactive docs. Object ids
are UUIDs; the clinic is never in a URL."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from clinic.api.errors import not_found
from clinic.api.views import key_pages, webhook_pages
from clinic.api.views.appointments import AppointmentViewSet
from clinic.api.views.me import MeView
from clinic.api.views.messaging import SmsMessageViewSet
from clinic.api.views.patients import PatientViewSet
from clinic.api.views.setup import AppointmentTypeViewSet, ProviderViewSet
from clinic.api.views.voice import VoicemailViewSet
from clinic.api.views.webhooks import WebhookEndpointViewSet

router = SimpleRouter(use_regex_path=False)
router.register("patients", PatientViewSet, basename="patient")
router.register("providers", ProviderViewSet, basename="provider")
router.register("appointment-types", AppointmentTypeViewSet, basename="appointment-type")
router.register("appointments", AppointmentViewSet, basename="appointment")
router.register("sms-messages", SmsMessageViewSet, basename="sms-message")
router.register("voicemails", VoicemailViewSet, basename="voicemail")
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")

v1 = [path("me/", MeView.as_view(), name="me"), *router.urls]

app_name = "api"

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script from ?script instead of inline:
    # the Content-Security-Policy allows no inline script.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
    # Anything else under /api/ (newlines included): a JSON 404.
    re_path(r"^[\s\S]*$", not_found),
]

# Settings → API keys (staff pages), included at /settings/api-keys/.
key_page_patterns = (
    [
        path("", key_pages.api_key_list, name="list"),
        path("new/", key_pages.api_key_new, name="create"),
        path("<uuid:pk>/revoke/", key_pages.api_key_revoke_view, name="revoke"),
    ],
    "api_keys",
)

# Settings → Webhooks (staff pages), included at /settings/webhooks/.
webhook_page_patterns = (
    [
        path("", webhook_pages.webhook_list, name="list"),
        path("new/", webhook_pages.webhook_new, name="create"),
        path("<uuid:pk>/", webhook_pages.webhook_detail, name="detail"),
        path("<uuid:pk>/off/", webhook_pages.webhook_turn_off, name="turn_off"),
        path("<uuid:pk>/on/", webhook_pages.webhook_turn_on, name="turn_on"),
        path("<uuid:pk>/ping/", webhook_pages.webhook_ping, name="ping"),
        path("<uuid:pk>/rotate-secret/", webhook_pages.webhook_rotate_secret, name="rotate_secret"),
        path("<uuid:pk>/delete/", webhook_pages.webhook_delete, name="delete"),
    ],
    "webhooks",
)
