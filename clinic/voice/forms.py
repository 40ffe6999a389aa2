"""The clinic's voice settings as staff enter them (saved by voice_settings_save,
which checks the numbers against every clinic's)."""

from __future__ import annotations

from django import forms

from clinic.appointments.forms import time_input
from clinic.core.phones import format_phone
from clinic.voice.models import GREETING_LANGUAGES, MAX_RETENTION_DAYS, WEEKDAYS, VoiceSettings


def _tel(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"type": "tel", "autocomplete": "off", **attrs})


class VoiceSettingsForm(forms.Form):
    voice_number = forms.CharField(
        label="Voice number",
        required=False,
        max_length=32,
        widget=_tel(),
        help_text="The number patients call, with its country code. Empty: the SMS sender number takes calls too.",
    )
    greeting = forms.CharField(
        label="Greeting",
        max_length=VoiceSettings._meta.get_field("greeting").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Read to callers before the tone.",
    )
    greeting_language = forms.ChoiceField(label="Greeting language", choices=GREETING_LANGUAGES)
    forward_to = forms.CharField(
        label="Forward to (front desk)",
        required=False,
        max_length=32,
        widget=_tel(),
        help_text="Rung first during opening hours. Empty: every call goes to voicemail.",
    )
    ring_seconds = forms.IntegerField(label="Ring for (seconds)", min_value=5, max_value=60)
    open_days = forms.TypedMultipleChoiceField(
        label="Open on",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    open_from = forms.TimeField(label="Opens at", widget=time_input(step=300))
    open_until = forms.TimeField(label="Closes at", widget=time_input(step=300))
    max_message_seconds = forms.IntegerField(label="Longest message (seconds)", min_value=10, max_value=600)
    retention_days = forms.IntegerField(
        label="Keep voicemails for (days)",
        min_value=1,
        max_value=MAX_RETENTION_DAYS,
        help_text="Then the audio and the transcript are deleted.",
    )

    @classmethod
    def initial_from(cls, voice: VoiceSettings) -> dict:
        return {
            "voice_number": format_phone(voice.voice_number) if voice.voice_number else "",
            "greeting": voice.greeting,
            "greeting_language": voice.greeting_language,
            "forward_to": format_phone(voice.forward_to) if voice.forward_to else "",
            "ring_seconds": voice.ring_seconds,
            "open_days": voice.open_days,
            "open_from": voice.open_from,
            "open_until": voice.open_until,
            "max_message_seconds": voice.max_message_seconds,
            "retention_days": voice.retention_days,
        }

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["voice_number"] = data["voice_number"].strip()
        data["forward_to"] = data["forward_to"].strip()
        data["greeting"] = data["greeting"].strip()
        return data
