"""Parsing the calendar page's forms; the writes are in services."""

from __future__ import annotations

from django import forms

from clinic.appointments.models import Provider
from clinic.calendars.models import PATIENT_DETAILS, BusyConflicts, Privacy

WHOLE_CLINIC = ""


class FeedForm(forms.Form):
    provider = forms.ChoiceField(label="Calendar of", required=False)
    privacy = forms.ChoiceField(
        label="What the events show", choices=Privacy.choices, initial=Privacy.TYPE, widget=forms.RadioSelect
    )

    def __init__(self, *args, allow_patient_details: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The clinic's active providers only (the tenant manager scopes them).
        self.providers = {str(p.pk): p for p in Provider.objects.filter(active=True).order_by("name")}
        choices = [(WHOLE_CLINIC, "Whole clinic (every provider)")]
        self.fields["provider"].choices = choices + [(pk, p.display_name) for pk, p in self.providers.items()]
        if not allow_patient_details:
            self.fields["privacy"].choices = [c for c in Privacy.choices if c[0] not in PATIENT_DETAILS]
            self.fields["privacy"].help_text = "This clinic does not allow patient initials or names in calendars."

    def chosen_provider(self) -> Provider | None:
        return self.providers.get(self.cleaned_data["provider"])


class CalendarSettingsForm(forms.Form):
    allow_patient_details = forms.BooleanField(
        label="Allow feeds with patient initials or full names",
        required=False,
        help_text="Off: every feed shows at most the appointment type and time, existing ones included.",
    )
    busy_conflicts = forms.ChoiceField(
        label="Booking a time a provider is busy in a busy calendar",
        choices=BusyConflicts.choices,
        required=False,  # left out: unchanged
        widget=forms.RadioSelect,
    )


class BusyCalendarForm(forms.Form):
    provider = forms.ChoiceField(label="Provider")
    name = forms.CharField(label="Name", max_length=100, help_text='E.g. "Private" or "On call".')
    url = forms.CharField(
        label="Calendar address (ICS)",
        max_length=2000,
        help_text="The calendar's secret or public address in iCal format (https://…/basic.ics). "
        "Treat it like a password: it is shown shortened once saved.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        # Its own ids: the feed form on the same page has a "provider" field too.
        super().__init__(*args, auto_id="id_busy_%s", **kwargs)
        # The clinic's active providers only (the tenant manager scopes them).
        self.providers = {str(p.pk): p for p in Provider.objects.filter(active=True).order_by("name")}
        self.fields["provider"].choices = [(pk, p.display_name) for pk, p in self.providers.items()]

    def chosen_provider(self) -> Provider:
        return self.providers[self.cleaned_data["provider"]]
