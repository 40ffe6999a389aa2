from django.contrib import admin
from django.urls import include, path

from clinic import health
from clinic.accounts import views as accounts_views

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("clinic.accounts.auth_urls")),
    path("", include("clinic.accounts.urls")),
    # Interim start page; the day schedule takes over "/" when it lands.
    path("", accounts_views.home, name="home"),
    path("admin/", admin.site.urls),
]
