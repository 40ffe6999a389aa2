"""Deploy checks of the calendars app (`manage.py check --deploy`)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def calendar_credentials_keys(app_configs, **kwargs) -> list[checks.CheckMessage]:
    # Without DEBUG there is no fallback key: connecting a CalDAV calendar would fail
    # at the first attempt, in front of a clinic, rather than here.
    if settings.DEBUG or settings.CALENDAR_CREDENTIALS_KEYS:
        return []
    return [
        checks.Warning(
            "CALENDAR_CREDENTIALS_KEYS is empty: CalDAV calendar passwords cannot be stored, so connecting "
            "a calendar fails.",
            hint="Set it to a Fernet key (docs/staff/calendars.md: Calendar connections (CalDAV)).",
            id="calendars.W001",
        )
    ]
