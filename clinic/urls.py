from django.contrib import admin
from django.urls import include, path

from clinic import health
from clinic.accounts import urls as account_urls
from clinic.api import urls as api_urls
from clinic.calendars import urls as calendar_urls
from clinic.lifecycle import urls as lifecycle_urls
from clinic.messaging import urls as messaging_urls
from clinic.staff import urls as staff_urls
from clinic.voice import urls as voice_urls

admin.site.site_header = "Clinic administration"
admin.site.site_title = "Clinic admin"
admin.site.index_title = "The active clinic's records"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include(account_urls.auth_patterns)),
    path("", include("clinic.accounts.urls")),
    path("", include("clinic.lifecycle.urls")),
    # The start page: today's schedule of the active clinic.
    path("", include(staff_urls.schedule_urls)),
    path("appointments/", include(staff_urls.appointment_urls)),
    path("patients/", include(staff_urls.patient_urls)),
    path("setup/", include(staff_urls.setup_urls)),
    path("sms/", include(messaging_urls.page_patterns)),
    path("", include("clinic.messaging.urls")),
    path("calls/", include(voice_urls.page_patterns)),
    path("", include("clinic.voice.urls")),
    path("", include(voice_urls.link_patterns)),
    path("settings/api-keys/", include(api_urls.key_page_patterns)),
    path("settings/webhooks/", include(api_urls.webhook_page_patterns)),
    path("calendars/", include(calendar_urls.page_patterns)),
    *calendar_urls.feed_patterns,
    path("audit/", include("clinic.audit.urls")),
    # The platform console (superusers): before the admin, which would claim the path.
    path("admin/platform/clinics/", include(lifecycle_urls.console_patterns)),
    path("admin/", admin.site.urls),
    path("api/", include("clinic.api.urls")),
]
