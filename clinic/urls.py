from django.contrib import admin
from django.urls import include, path

from clinic import health
from clinic.api import urls as api_urls
from clinic.calendars import urls as calendar_urls
from clinic.staff import urls as staff_urls
from clinic.voice import page_urls as voice_page_urls

admin.site.site_header = "Clinic administration"
admin.site.site_title = "Clinic admin"
admin.site.index_title = "The active clinic's records"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("clinic.accounts.auth_urls")),
    path("", include("clinic.accounts.urls")),
    path("", include("clinic.lifecycle.urls")),
    # The start page: today's schedule of the active clinic.
    path("", include(staff_urls.schedule_urls)),
    path("appointments/", include(staff_urls.appointment_urls)),
    path("patients/", include(staff_urls.patient_urls)),
    path("setup/", include(staff_urls.setup_urls)),
    path("sms/", include("clinic.messaging.page_urls")),
    path("", include("clinic.messaging.urls")),
    path("calls/", include("clinic.voice.page_urls")),
    path("", include("clinic.voice.urls")),
    path("", include(voice_page_urls.link_urlpatterns)),
    path("settings/api-keys/", include(api_urls.key_page_urls)),
    path("settings/webhooks/", include(api_urls.webhook_page_urls)),
    path("calendars/", include(calendar_urls.page_urls)),
    *calendar_urls.feed_urls,
    path("audit/", include("clinic.audit.urls")),
    # The platform console (superusers): before the admin, which would claim the path.
    path("admin/platform/clinics/", include("clinic.lifecycle.console_urls")),
    path("admin/", admin.site.urls),
    path("api/", include("clinic.api.urls")),
]
