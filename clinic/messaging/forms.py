"""Forms of the SMS pages. They parse and check what staff typed; the writes go
through clinic.messaging.services. None has an `organization` field, and none
offers another clinic's rows as a choice."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms

from clinic.appointments.forms import check_day_in_range, date_input
from clinic.appointments.timezones import local_day_bounds
from clinic.messaging.models import SmsMessage

ANY = ""


class LogFilterForm(forms.Form):
    """The filters of the SMS log, from the query string. Each valid one applies;
    an invalid one is shown as an error and left out."""

    date_from = forms.DateField(label="From", required=False, widget=date_input())
    date_to = forms.DateField(label="Until", required=False, widget=date_input())
    direction = forms.ChoiceField(required=False, choices=[(ANY, "In and out"), *SmsMessage.Direction.choices])
    status = forms.ChoiceField(required=False, choices=[(ANY, "Any status"), *SmsMessage.Status.choices])
    q = forms.CharField(
        label="Patient or number",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name or phone digits"}),
    )
    # A patient picked from their page (`?patient=<id>`); the view resolves it in the clinic.
    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def clean_date_from(self) -> dt.date | None:
        return check_day_in_range(self.cleaned_data["date_from"])

    def clean_date_to(self) -> dt.date | None:
        return check_day_in_range(self.cleaned_data["date_to"])

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
            data.pop("date_to", None)
        return data

    def time_range(self, zone: ZoneInfo) -> tuple[dt.datetime | None, dt.datetime | None]:
        """[since, before) in UTC: from the start of the first local day to the end
        of the last (days of 23 or 25 hours included)."""
        data = getattr(self, "cleaned_data", {})
        start, end = data.get("date_from"), data.get("date_to")
        return (
            local_day_bounds(start, zone)[0] if start else None,
            local_day_bounds(end, zone)[1] if end else None,
        )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Reply",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
        error_messages={"required": "Write a message."},
    )
    mark_handled = forms.BooleanField(label="Mark handled once sent", required=False, initial=True)
