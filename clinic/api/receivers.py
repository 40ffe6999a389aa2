"""Turns each appointment change and each completed voicemail into an integrator event
(the outbox); the services send their signals inside the change's transaction, so the
event commits or rolls back with it."""

from __future__ import annotations

from django.dispatch import receiver

from clinic.appointments import signals
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
