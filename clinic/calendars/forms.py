"""Parsing the calendar page's forms; the writes are in services."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms

from clinic.appointments.models import Provider
from clinic.calendars.models import PATIENT_DETAILS, BusyConflicts, CalDAVConnection, Privacy

WHOLE_CLINIC = ""


def active_providers(**annotations) -> list[Provider]:
    """The clinic's active providers (the tenant manager scopes them), as the forms
    offer them; the calendar page reads them once for all its forms, with `annotations`."""
    return list(Provider.objects.filter(active=True).order_by("name").annotate(**annotations))


def visible_connections(membership) -> list[CalDAVConnection]:
    """The clinic's CalDAV connections `membership` sees, by provider, newest first."""
    connections = CalDAVConnection.objects.visible_to(membership).select_related("provider", "created_by")
    return list(connections.order_by("provider__name", "-created_at"))


class FeedForm(forms.Form):
    provider = forms.ChoiceField(label="Calendar of", required=False)
    privacy = forms.ChoiceField(
        label="What the events show", choices=Privacy.choices, initial=Privacy.TYPE, widget=forms.RadioSelect
    )

    def __init__(self, *args, allow_patient_details: bool, providers: list[Provider] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.providers = {str(p.pk): p for p in (active_providers() if providers is None else providers)}
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


ICS_ADDRESS = ""


class BusyCalendarForm(forms.Form):
    provider = forms.ChoiceField(label="Provider", help_text="A connected CalDAV calendar is its provider's.")
    name = forms.CharField(label="Name", max_length=100, help_text='E.g. "Private" or "On call".')
    caldav_connection = forms.ChoiceField(label="Read from", required=False)
    url = forms.CharField(
        label="Calendar address (ICS)",
        required=False,
        max_length=2000,
        help_text="The calendar's secret or public address in iCal format (https://…/basic.ics). "
        "Treat it like a password: it is shown shortened once saved.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"}),
    )

    def __init__(
        self,
        *args,
        membership,
        providers: list[Provider] | None = None,
        connections: list[CalDAVConnection] | None = None,
        **kwargs,
    ) -> None:
        # Its own ids: the feed form on the same page has a "provider" field too.
        super().__init__(*args, auto_id="id_busy_%s", **kwargs)
        self.providers = {str(p.pk): p for p in (active_providers() if providers is None else providers)}
        self.fields["provider"].choices = [(pk, p.display_name) for pk, p in self.providers.items()]
        # The clinic's CalDAV connections this member sees (another clinic's: no choice).
        if connections is None:
            connections = visible_connections(membership)
        self.connections = {str(c.pk): c for c in connections}
        self.fields["caldav_connection"].choices = [(ICS_ADDRESS, "An ICS address (below)")] + [
            (pk, f"The connected CalDAV calendar of {c.provider.display_name} ({urlsplit(c.url).hostname})")
            for pk, c in self.connections.items()
        ]

    def clean(self):
        data = super().clean()
        if not data.get("caldav_connection") and not (data.get("url") or "").strip() and "url" not in self.errors:
            self.add_error("url", "Enter the calendar's ICS address, or choose a connected CalDAV calendar.")
        return data

    def chosen_provider(self) -> Provider:
        return self.providers[self.cleaned_data["provider"]]

    def chosen_connection(self) -> CalDAVConnection | None:
        return self.connections.get(self.cleaned_data["caldav_connection"])
