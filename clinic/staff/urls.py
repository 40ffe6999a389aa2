"""URLs of the staff pages, one namespace per area (included from clinic/urls.py).
Object ids are the objects' UUIDs; the clinic is never in a URL."""

from __future__ import annotations

from django.urls import path

from clinic.audit import patient_pages
from clinic.staff.views import appointments, patients, schedule, setup

schedule_urls = (
    [path("", schedule.day_view, name="day")],
    "schedule",
)

appointment_urls = (
    [
        path("new/", appointments.appointment_create, name="create"),
        path("<uuid:pk>/", appointments.appointment_detail, name="detail"),
        path("<uuid:pk>/edit/", appointments.appointment_edit, name="edit"),
        path("<uuid:pk>/cancel/", appointments.appointment_cancel_view, name="cancel"),
        path("<uuid:pk>/status/", schedule.appointment_status, name="status"),
    ],
    "appointments",
)

patient_urls = (
    [
        path("", patients.patient_list, name="list"),
        path("new/", patients.patient_create_view, name="create"),
        path("<uuid:pk>/", patients.patient_detail, name="detail"),
        path("<uuid:pk>/edit/", patients.patient_edit, name="edit"),
        path("<uuid:pk>/sms-opt-out/", patients.patient_sms_opt_out, name="sms_opt_out"),
        path("<uuid:pk>/sms-opt-in/", patients.patient_sms_opt_in, name="sms_opt_in"),
        path("<uuid:pk>/export/", patient_pages.patient_export_view, name="export"),
        path("<uuid:pk>/erase/", patient_pages.patient_erase_view, name="erase"),
    ],
    "patients",
)

setup_urls = (
    [
        path("", setup.setup_index, name="index"),
        path("date-order/", setup.clinic_locale, name="locale"),
        path("providers/new/", setup.provider_create_view, name="provider_create"),
        path("providers/<uuid:pk>/edit/", setup.provider_edit, name="provider_edit"),
        path("providers/<uuid:pk>/hours/", setup.provider_hours, name="provider_hours"),
        path("providers/<uuid:pk>/active/", setup.provider_active, name="provider_active"),
        path("types/new/", setup.type_create, name="type_create"),
        path("types/<uuid:pk>/edit/", setup.type_edit, name="type_edit"),
    ],
    "setup",
)
