from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "clinic.calendars"
    label = "calendars"
    verbose_name = "Calendar connections"

    def ready(self) -> None:
        # The receivers connect themselves on import (the CalDAV ones bring the worker's
        # tasks); scheduling asks the busy calendars through its availability checks.
        from clinic.appointments import availability
        from clinic.calendars import checks, receivers  # noqa: F401
        from clinic.calendars.caldav import receivers as caldav_receivers  # noqa: F401
        from clinic.calendars.caldav import tasks  # noqa: F401
        from clinic.calendars.conflicts import check_busy

        availability.register(check_busy)
