from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "clinic.lifecycle"
    label = "lifecycle"
    verbose_name = "Clinic lifecycle"
