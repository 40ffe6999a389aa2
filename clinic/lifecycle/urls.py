from __future__ import annotations

from django.urls import path

from clinic.lifecycle import export, signup

app_name = "lifecycle"

urlpatterns = [
    path("clinics/closed/export/", export.closed_clinic_export, name="closed_export"),
    path("signup/", signup.signup, name="signup"),
    path("signup/verify/<str:token>/", signup.verify, name="signup_verify"),
]
