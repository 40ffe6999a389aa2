from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "clinic.calendars"
    label = "calendars"
    verbose_name = "Calendar connections"
