"""Keeps each appointment's confirmation requests in step with the schedule; the
services send `appointment_changed` inside the change's transaction."""

from __future__ import annotations

from django.dispatch import receiver

from clinic.appointments import signals


@receiver(signals.appointment_changed, dispatch_uid="messaging.plan_requests")
def plan_requests(sender, *, appointment, change: str, **details) -> None:
    from clinic.messaging.scheduling import plan_confirmation_requests

    plan_confirmation_requests(appointment)
