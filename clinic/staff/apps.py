from django.apps import AppConfig


class StaffConfig(AppConfig):
    """The staff pages: no models, only views, the navigation and the demo clinic."""

    name = "clinic.staff"
    label = "staff"
    verbose_name = "Staff pages"
