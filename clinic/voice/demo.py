"""Voicemails of the demo clinics, so the calls inbox has something to show: a few
messages from patients and one from an unknown caller, each with the sample audio
the repository ships and a transcript.

They take the real paths: the call and the recording as the webhooks record them,
the transcript as its callback delivers it, and the audio stored as the recording job
stores it (clinic.voice.services), only without the provider."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone

from clinic.appointments.models import Patient
from clinic.messaging.models import SmsSettings
from clinic.voice import recordings, services
from clinic.voice.backends import SAMPLE_WAV
from clinic.voice.models import Voicemail, VoiceSettings

MESSAGES = (
    "Hello, this is about my appointment next week. I need to come a little later, after four if possible. "
    "Please call me back.",
    "Hi, I was wondering if the doctor could renew my prescription. Thank you, bye.",
    "Good morning, I would like to book a check-up for my daughter. You can reach me on this number.",
)
UNKNOWN_CALLER = "+12025550143"
GREETING = (
    "You have reached {clinic}. We cannot take your call right now. Please leave your name, your number and a "
    "short message after the tone."
)
# A clinic with this many voicemails waiting already has enough to show.
ENOUGH_WAITING = 2


@transaction.atomic
def leave_demo_voicemails(clinic_name: str) -> int:
    """Inside a demo clinic's tenant context: voicemails on its SMS number (its voice
    settings made if need be), unless enough are waiting. Returns how many were left."""
    sms_settings = SmsSettings.objects.first()
    if sms_settings is None or not sms_settings.sender_number:
        return 0
    if not VoiceSettings.objects.exists():
        services.voice_settings_save(greeting=GREETING.format(clinic=clinic_name))
    waiting = Voicemail.objects.filter(handled_at__isnull=True).exclude(status=Voicemail.Status.AWAITING).count()
    if waiting >= ENOUGH_WAITING:
        return 0
    patients = list(Patient.objects.filter(erased_at__isnull=True).order_by("last_name", "first_name")[:2])
    callers = [patient.phone for patient in patients] + [UNKNOWN_CALLER]
    for index, (caller, text) in enumerate(zip(callers, MESSAGES, strict=False)):
        _leave(sms_settings.sender_number, caller, text, minutes_ago=20 + 95 * index)
    return len(callers)


def _leave(clinic_number: str, caller: str, text: str, *, minutes_ago: int) -> None:
    call_sid, recording_sid = f"CA{uuid.uuid4().hex}", f"RE{uuid.uuid4().hex}"
    services.call_received(call_sid=call_sid, from_number=caller, to_number=clinic_number)
    voicemail = services.recording_completed(
        call_sid=call_sid, recording_sid=recording_sid, to_number=clinic_number, duration_seconds=2, fetch=False
    )
    services.transcription_received(
        call_sid=call_sid, recording_sid=recording_sid, to_number=clinic_number, text=text, ok=True
    )
    recordings.voicemail_store(voicemail_id=voicemail.pk, content=SAMPLE_WAV.read_bytes(), content_type="audio/x-wav")
    Voicemail.objects.filter(pk=voicemail.pk).update(received_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
