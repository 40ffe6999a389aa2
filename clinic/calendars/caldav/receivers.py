"""Keeps providers' CalDAV calendars in step with the schedule: the services send
`appointment_changed` inside the change's transaction, and the pushes are deferred
to its commit (never for a change that rolled back)."""

from __future__ import annotations

from django.dispatch import receiver

from clinic.appointments import signals

# Notes never reach a calendar: a change of notes alone pushes nothing.
NOT_IN_CALENDARS = frozenset({"notes"})


@receiver(signals.appointment_changed, dispatch_uid="calendars.caldav_push")
def push_to_calendars(sender, *, appointment, change: str, changed_fields=(), **details) -> None:
    if change == signals.UPDATED and set(changed_fields) <= NOT_IN_CALENDARS:
        return
    from clinic.calendars.caldav.tasks import defer_pushes_for

    defer_pushes_for(appointment)
