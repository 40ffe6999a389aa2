"""A clinic's calls: its voice settings, each call the provider told it about, and
each voicemail left on one.

All are TenantModels (RLS, composite keys). One thing is looked up before any tenant
is known, through one narrow SECURITY DEFINER function (migration 0001): which clinic
a called number belongs to, by its voice number or else its SMS number.

Nothing stored under a voicemail's audio path says who called: the path is the
clinic's id and a random key (`audio_key`), so a storage listing or a bucket's access
log names no patient."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from clinic.appointments.models import Patient
from tenancy.models import TenantModel

VOICE_NUMBER_CONSTRAINT = "voice_voicesettings_number_uniq"
DEFAULT_GREETING = (
    "You have reached the clinic. We cannot take your call right now. "
    "Please leave your name, your number and a short message after the tone, and we will call you back."
)
DEFAULT_RETENTION_DAYS = 90
MAX_RETENTION_DAYS = 3650
WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
# The languages Twilio's <Say> speaks that the clinic can choose for its greeting.
GREETING_LANGUAGES = [
    ("en-US", "English (US)"),
    ("en-GB", "English (UK)"),
    ("de-DE", "German"),
    ("fr-FR", "French"),
    ("es-ES", "Spanish (Spain)"),
    ("es-MX", "Spanish (Mexico)"),
    ("it-IT", "Italian"),
    ("nl-NL", "Dutch"),
    ("pt-BR", "Portuguese (Brazil)"),
]


class VoiceSettings(TenantModel):
    """One per clinic. A call finds its clinic by `voice_number`, or, when that is
    empty, by the SMS settings' sender number (one number for both); `voice_number`
    is therefore unique across the platform (a declared routing key)."""

    voice_number = models.CharField(
        max_length=32,
        blank=True,
        help_text="The number patients call, in E.164. Empty: the SMS number takes calls too.",
    )
    greeting = models.TextField(
        default=DEFAULT_GREETING, max_length=1000, help_text="What callers hear before they leave a message."
    )
    greeting_language = models.CharField(max_length=8, choices=GREETING_LANGUAGES, default="en-US")
    forward_to = models.CharField(
        max_length=32,
        blank=True,
        help_text="The front desk's number, rung first during opening hours. Empty: straight to voicemail.",
    )
    ring_seconds = models.PositiveSmallIntegerField(
        default=20,
        validators=[MinValueValidator(5), MaxValueValidator(60)],
        help_text="How long the front desk rings before the caller hears the greeting.",
    )
    open_days = ArrayField(
        models.PositiveSmallIntegerField(choices=WEEKDAYS, validators=[MaxValueValidator(6)]),
        default=list,
        blank=True,
        size=7,
        help_text="The days calls are forwarded (0 is Monday).",
    )
    open_from = models.TimeField(default=dt.time(8, 0), help_text="Opening time, in the clinic's time zone.")
    open_until = models.TimeField(default=dt.time(18, 0), help_text="Closing time, in the clinic's time zone.")
    max_message_seconds = models.PositiveSmallIntegerField(
        default=120, validators=[MinValueValidator(10), MaxValueValidator(600)], help_text="Longest message."
    )
    retention_days = models.PositiveIntegerField(
        default=DEFAULT_RETENTION_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RETENTION_DAYS)],
        help_text="Days a voicemail's audio and transcript are kept.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = "voice settings"
        verbose_name_plural = "voice settings"
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organization"], name="voice_voicesettings_one_per_org"),
            models.UniqueConstraint(
                fields=["voice_number"],
                condition=~Q(voice_number=""),
                name=VOICE_NUMBER_CONSTRAINT,
                violation_error_code="number_taken",
                violation_error_message="Another clinic already uses this number.",
            ),
        ]

    def __str__(self) -> str:
        return f"Voice settings ({self.voice_number or 'the SMS number'})"

    def is_open(self, local: dt.datetime) -> bool:
        """Whether `local` (in the clinic's zone) is within opening hours."""
        if local.weekday() not in (self.open_days or []):
            return False
        return self.open_from <= local.time().replace(tzinfo=None) < self.open_until


class Call(TenantModel):
    """A call to the clinic's number, as the provider reported it: one row per
    CallSid (its webhooks may come more than once, in any order)."""

    call_sid = models.CharField(max_length=64)
    from_number = models.CharField(max_length=32, blank=True)
    to_number = models.CharField(max_length=32)
    forwarded = models.BooleanField(default=False, help_text="Rung through to the front desk first.")
    dial_status = models.CharField(max_length=20, blank=True, help_text="How the front desk's line answered.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organization", "call_sid"], name="voice_call_sid_uniq"),
        ]

    def __str__(self) -> str:
        return f"Call {self.call_sid}"


def new_audio_key() -> str:
    return uuid.uuid4().hex


class Voicemail(TenantModel):
    """A message left on a call: one row per RecordingSid. The row may come first from
    the transcription callback (a transcript before its recording waits here, with
    status `awaiting`), and the recording's callback completes it; the worker then
    fetches the audio (`pending` -> `stored`, or `failed` with the reason)."""

    class Status(models.TextChoices):
        AWAITING = "awaiting", "Waiting for the recording"
        PENDING = "pending", "Recording to fetch"
        STORED = "stored", "Stored"
        FAILED = "failed", "Could not be fetched"

    class TranscriptStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Transcribed"
        FAILED = "failed", "Could not be transcribed"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="voicemails", db_constraint=False)
    recording_sid = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AWAITING)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Where the audio is in the voicemail storage: "<clinic id>/<audio_key>.<ext>".
    audio_key = models.CharField(max_length=32, default=new_audio_key, editable=False)
    audio_name = models.CharField(max_length=200, blank=True)
    audio_content_type = models.CharField(max_length=60, blank=True)
    audio_bytes = models.PositiveIntegerField(null=True, blank=True)
    transcript = models.TextField(blank=True)
    transcript_status = models.CharField(
        max_length=10, choices=TranscriptStatus.choices, default=TranscriptStatus.PENDING
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="voicemails", db_constraint=False
    )
    # When more than one patient of the clinic has the caller's number: all of them.
    candidate_patient_ids = ArrayField(models.UUIDField(), default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the last fetch began: a pending voicemail whose fetch began long ago lost its
    # worker (killed mid-download), and the minute tick defers it again.
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    deleted_from_provider = models.BooleanField(default=False)
    received_at = models.DateTimeField(auto_now_add=True)
    stored_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )

    class Meta(TenantModel.Meta):
        ordering = ["received_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organization", "recording_sid"], name="voice_voicemail_sid_uniq"),
        ]
        indexes = [
            models.Index(
                fields=["organization", "received_at"],
                condition=Q(handled_at__isnull=True) & ~Q(status="awaiting"),
                name="voice_vm_org_inbox_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Voicemail {self.recording_sid}"

    @property
    def in_inbox(self) -> bool:
        return self.status != self.Status.AWAITING
