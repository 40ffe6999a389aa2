from __future__ import annotations

from django.urls import path

from clinic.accounts.two_factor import views

app_name = "two_factor"

urlpatterns = [
    path("", views.status, name="status"),
    path("setup/", views.setup, name="setup"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("turn-off/", views.turn_off, name="turn_off"),
]
