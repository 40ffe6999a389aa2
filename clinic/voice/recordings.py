"""What the recording job writes (clinic.voice.tasks): an attempt claimed, the audio
stored or the voicemail failed, and retention's pruning. Apart from the webhooks'
services, which defer that job: kept apart, neither imports the other."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from clinic.appointments.models import Patient
from clinic.audit.trail import Action, record
from clinic.voice import audio, signals
from clinic.voice.models import Call, Voicemail, VoiceSettings

logger = logging.getLogger(__name__)


def fetch_begins(voicemail_id) -> Voicemail | None:
    """Claim one attempt (its own committed step): the pending voicemail, locked, with
    its attempt counted; None if there is nothing to fetch (stored meanwhile, gone)."""
    voicemail = Voicemail.objects.select_for_update().filter(pk=voicemail_id).first()
    if voicemail is None or voicemail.status != Voicemail.Status.PENDING:
        return None
    voicemail.attempts += 1
    voicemail.attempt_started_at = timezone.now()
    voicemail.save(update_fields=["attempts", "attempt_started_at"])
    return voicemail


def voicemail_store(*, voicemail_id, content: bytes, content_type: str) -> Voicemail | None:
    """Keep the fetched audio and complete the voicemail: its caller matched to a
    patient of this clinic by number (several: all are candidates), audited, and the
    integrators told. None if another attempt stored it first."""
    voicemail = Voicemail.objects.select_for_update().select_related("call").filter(pk=voicemail_id).first()
    if voicemail is None or voicemail.status != Voicemail.Status.PENDING:
        return None
    name = audio.name_for(voicemail.organization_id, voicemail.audio_key, content_type)
    audio.store(name, content)
    voicemail.audio_name, voicemail.audio_content_type, voicemail.audio_bytes = name, content_type, len(content)
    voicemail.status, voicemail.stored_at, voicemail.error = Voicemail.Status.STORED, timezone.now(), ""
    _match_caller(voicemail)
    voicemail.save()
    record(Action.VOICEMAIL_RECEIVED, obj=voicemail)
    signals.voicemail_received.send(sender=Voicemail, voicemail=voicemail)
    if voicemail.transcript_status == Voicemail.TranscriptStatus.COMPLETED:
        signals.voicemail_transcribed.send(sender=Voicemail, voicemail=voicemail)
    return voicemail


def _match_caller(voicemail: Voicemail) -> None:
    number = voicemail.call.from_number
    matches = list(Patient.objects.filter(phone=number, erased_at__isnull=True).values_list("pk", flat=True)[:20])
    voicemail.patient_id = matches[0] if len(matches) == 1 else None
    voicemail.candidate_patient_ids = matches if len(matches) > 1 else []


def voicemail_fail(*, voicemail_id, reason: str) -> None:
    """A recording that cannot be fetched: recorded with why, out of the queue, and in
    the inbox so the clinic knows a message was left."""
    voicemail = Voicemail.objects.select_for_update().select_related("call").filter(pk=voicemail_id).first()
    if voicemail is None or voicemail.status != Voicemail.Status.PENDING:
        return
    voicemail.status, voicemail.error = Voicemail.Status.FAILED, reason[:300]
    _match_caller(voicemail)
    voicemail.save()
    logger.warning("voicemail %s of clinic %s failed: %s", voicemail.pk, voicemail.organization_id, reason)


def voicemail_deleted_from_provider(voicemail_id) -> None:
    Voicemail.objects.filter(pk=voicemail_id).update(deleted_from_provider=True)


@transaction.atomic
def voicemails_prune(now: dt.datetime | None = None) -> int:
    """Delete the clinic's calls and voicemails older than its retention period, with
    their audio (once this commits); how many voicemails."""
    days = (VoiceSettings.objects.first() or VoiceSettings()).retention_days
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    old = Voicemail.objects.filter(received_at__lt=cutoff)
    names = list(old.values_list("audio_name", flat=True))
    count = old.count()
    old.delete()
    Call.objects.filter(created_at__lt=cutoff, voicemails__isnull=True).delete()
    audio.delete_on_commit(names)
    if count:
        record(Action.RETENTION_PRUNED, object_type="voice.Voicemail", changed_fields=[f"voicemails:{count}"])
    return count
