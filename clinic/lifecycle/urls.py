"""The lifecycle app's URLs, included from clinic/urls.py: sign-up and a closed
clinic's export (`urlpatterns`, at the root), and the platform console
(`console_patterns`, under `admin/platform/clinics/`, before the admin claims it)."""

from __future__ import annotations

from django.urls import path

from clinic.lifecycle.views import console, export, signup

app_name = "lifecycle"

urlpatterns = [
    path("clinics/closed/export/", export.closed_clinic_export, name="closed_export"),
    path("signup/", signup.signup, name="signup"),
    path("signup/verify/<str:token>/", signup.verify, name="signup_verify"),
]

console_patterns = (
    [
        path("", console.clinic_list, name="clinic_list"),
        path("new/", console.clinic_new, name="clinic_new"),
        path("<slug:slug>/", console.clinic_detail, name="clinic_detail"),
        path("<slug:slug>/<str:action>/", console.clinic_action, name="clinic_action"),
    ],
    "lifecycle_console",
)
