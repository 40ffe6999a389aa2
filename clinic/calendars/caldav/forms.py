"""Parsing the CalDAV forms of the calendar page; the writes are in services. The
password field never shows a value back, not even after an error."""

from __future__ import annotations

from django import forms

from clinic.appointments.models import Provider
from clinic.calendars.forms import active_providers
from clinic.calendars.models import PATIENT_DETAILS, Privacy

PASSWORD_HELP = "Use an app password made for this in your calendar account, not your main password."


class CalDAVConnectForm(forms.Form):
    provider = forms.ChoiceField(label="Provider")
    url = forms.CharField(
        label="Calendar URL",
        max_length=500,
        help_text="The calendar collection's CalDAV address, e.g. https://cloud.example.org/remote.php/dav/calendars/ada/clinic/",
        widget=forms.URLInput,
    )
    username = forms.CharField(label="User name", max_length=200)
    password = forms.CharField(
        label="App password", max_length=500, strip=False, help_text=PASSWORD_HELP, widget=forms.PasswordInput
    )
    privacy = forms.ChoiceField(
        label="What the events show", choices=Privacy.choices, initial=Privacy.TYPE, widget=forms.RadioSelect
    )

    def __init__(self, *args, allow_patient_details: bool, providers: list[Provider] | None = None, **kwargs) -> None:
        kwargs.setdefault("prefix", "caldav")  # apart from the feed form's fields on the same page
        super().__init__(*args, **kwargs)
        # The clinic's active providers only (read by the page once for all its forms).
        self.providers = {str(p.pk): p for p in (active_providers() if providers is None else providers)}
        self.fields["provider"].choices = [(pk, p.display_name) for pk, p in self.providers.items()]
        if not allow_patient_details:
            self.fields["privacy"].choices = [c for c in Privacy.choices if c[0] not in PATIENT_DETAILS]
            self.fields["privacy"].help_text = "This clinic does not allow patient initials or names in calendars."

    def chosen_provider(self) -> Provider:
        return self.providers[self.cleaned_data["provider"]]


class CalDAVReconnectForm(forms.Form):
    username = forms.CharField(label="User name", max_length=200)
    password = forms.CharField(
        label="New app password", max_length=500, strip=False, help_text=PASSWORD_HELP, widget=forms.PasswordInput
    )
