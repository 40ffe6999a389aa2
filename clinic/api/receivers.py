"""Turns each appointment change into an integrator event (the outbox); the services
send `appointment_changed` inside the change's transaction, so the event commits or
rolls back with it."""

from __future__ import annotations

from django.dispatch import receiver

from clinic.appointments import signals


@receiver(signals.appointment_changed, dispatch_uid="api.webhook_events")
def record_webhook_event(sender, *, appointment, change: str, **details) -> None:
    from clinic.api.webhooks.events import record_appointment_change

    record_appointment_change(appointment, change)
