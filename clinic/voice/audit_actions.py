"""Patients' calls: a voicemail stored by the worker, listened to (like viewing a
patient: the patient is named when the caller was matched), handled."""

from django.db import models

from clinic.audit.actions import register


class AuditAction(models.TextChoices):
    VOICEMAIL_RECEIVED = "voicemail_received", "Voicemail received"
    VOICEMAIL_PLAYED = "voicemail_played", "Voicemail listened to"
    VOICEMAIL_HANDLED = "voicemail_handled", "Voicemail marked handled"


register("voice", AuditAction)
