from __future__ import annotations

from django.urls import path

from clinic.lifecycle import console

app_name = "lifecycle_console"

urlpatterns = [
    path("", console.clinic_list, name="clinic_list"),
    path("new/", console.clinic_new, name="clinic_new"),
    path("<slug:slug>/", console.clinic_detail, name="clinic_detail"),
    path("<slug:slug>/<str:action>/", console.clinic_action, name="clinic_action"),
]
