"""Turns each appointment change and each completed voicemail into an integrator event
(the outbox); the services send their signals inside the change's transaction, so the
event commits or rolls back with it."""

from __future__ import annotations

from django.dispatch import receiver

from clinic.appointments import signals
from clinic.lifecycle import signals as lifecycle_signals
from clinic.voice import signals as voice_signals


@receiver(signals.appointment_changed, dispatch_uid="api.webhook_events")
def record_webhook_event(sender, *, appointment, change: str, **details) -> None:
    from clinic.api.webhooks.events import record_appointment_change

    record_appointment_change(appointment, change)


@receiver(voice_signals.voicemail_received, dispatch_uid="api.voicemail_received")
def record_voicemail_received(sender, *, voicemail, **details) -> None:
    from clinic.api.webhooks.events import record_voicemail_event

    record_voicemail_event("voicemail.received", voicemail)


@receiver(voice_signals.voicemail_transcribed, dispatch_uid="api.voicemail_transcribed")
def record_voicemail_transcribed(sender, *, voicemail, **details) -> None:
    from clinic.api.webhooks.events import record_voicemail_event

    record_voicemail_event("voicemail.transcribed", voicemail)


@receiver(lifecycle_signals.clinic_reactivated, dispatch_uid="api.resume")
def resume_deliveries(sender, *, organization_id, **details) -> None:
    """The event deliveries held while the clinic was suspended go out now (those a
    worker still holds are left to it)."""
    from django.db.models import Q
    from django.utils import timezone

    from clinic.api.models import WebhookDelivery
    from clinic.api.webhooks import tasks

    pending = WebhookDelivery.objects.filter(
        Q(in_flight_until__isnull=True) | Q(in_flight_until__lt=timezone.now()), status=WebhookDelivery.Status.PENDING
    )
    for webhook_delivery in pending.only("id", "organization_id"):
        tasks.defer_delivery(webhook_delivery)
