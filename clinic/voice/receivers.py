"""What calls do when a suspended clinic is reactivated (clinic.lifecycle.signals): the
voicemails left meanwhile are fetched now."""

from __future__ import annotations

from django.dispatch import receiver

from clinic.lifecycle import signals


@receiver(signals.clinic_reactivated, dispatch_uid="voice.resume")
def resume_recordings(sender, *, organization_id, **details) -> None:
    from clinic.voice import tasks

    tasks.defer_all_pending()
