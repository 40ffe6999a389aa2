"""Voicemails (read only): who called, when, how long, the transcript, and a
short-lived signed link to the audio."""

from __future__ import annotations

from rest_framework import serializers

from clinic.api.serializers.common import LocalDateTimeField
from clinic.voice.links import audio_link
from clinic.voice.models import Voicemail


class VoicemailOut(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    call_sid = serializers.CharField(source="call.call_sid", read_only=True, help_text="The provider's call id.")
    from_number = serializers.CharField(
        source="call.from_number", read_only=True, help_text="The caller's number (E.164), or empty if unknown."
    )
    to_number = serializers.CharField(source="call.to_number", read_only=True, help_text="The clinic's number called.")
    patient = serializers.UUIDField(
        source="patient_id", read_only=True, allow_null=True, help_text="The patient, when one has the caller's number."
    )
    candidate_patients = serializers.ListField(
        source="candidate_patient_ids",
        child=serializers.UUIDField(),
        read_only=True,
        help_text="When several patients share the caller's number: all of them.",
    )
    status = serializers.ChoiceField(choices=Voicemail.Status.choices, read_only=True)
    duration_seconds = serializers.IntegerField(read_only=True, allow_null=True)
    transcript = serializers.CharField(read_only=True)
    transcript_status = serializers.ChoiceField(choices=Voicemail.TranscriptStatus.choices, read_only=True)
    audio_url = serializers.SerializerMethodField(
        help_text="The audio, for VOICE_AUDIO_LINK_SECONDS (5 minutes by default); null until it is stored."
    )
    audio_content_type = serializers.CharField(read_only=True)
    error = serializers.CharField(read_only=True, help_text="Why the recording could not be fetched, or empty.")
    received_at = LocalDateTimeField()
    handled_at = LocalDateTimeField(allow_null=True)

    def get_audio_url(self, voicemail: Voicemail) -> str | None:
        if voicemail.status != Voicemail.Status.STORED:
            return None
        request = self.context.get("request")
        return audio_link(voicemail, getattr(getattr(request, "auth", None), "key_id", None), request)


class VoicemailFilterIn(serializers.Serializer):
    patient = serializers.UUIDField(required=False)
    handled = serializers.BooleanField(required=False, allow_null=True, default=None)
