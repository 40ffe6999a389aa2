from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "clinic.calendars"
    label = "calendars"
    verbose_name = "Calendar connections"

    def ready(self) -> None:
        # The CalDAV receivers connect themselves on import (and bring the worker's tasks).
        from clinic.appointments import availability
        from clinic.calendars import checks  # noqa: F401
        from clinic.calendars.conflicts import check_busy

        availability.register(check_busy)
        from clinic.calendars.caldav import receivers, tasks  # noqa: F401
