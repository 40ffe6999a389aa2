from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    """Patients, providers, appointment types and the appointments between them."""

    name = "clinic.appointments"
    label = "appointments"
    verbose_name = "Patients and appointments"
    default_auto_field = "django.db.models.BigAutoField"
