"""Forms of the SMS pages. They parse and check what staff typed; the writes go
through clinic.messaging.services. None has an `organization` field, and none
offers another clinic's rows as a choice."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django import forms

from clinic.appointments.forms import check_day_in_range, time_input
from clinic.core.dates import LocalDateField
from clinic.core.phones import format_phone
from clinic.core.timezones import local_day_bounds
from clinic.messaging.models import MIN_TEXT_RETENTION_DAYS, SmsMessage, SmsSettings
from clinic.messaging.template_variables import CLINICAL_WARNING, TEMPLATE_VARIABLES, clinical_refusal

ANY = ""
# The model's limits on lead times: 15 minutes to 14 days, at most four.
MIN_LEAD_MINUTES, MAX_LEAD_MINUTES, MAX_LEADS = 15, 14 * 24 * 60, 4


class LogFilterForm(forms.Form):
    """The filters of the SMS log, from the query string. Each valid one applies;
    an invalid one is shown as an error and left out."""

    date_from = LocalDateField(label="From", required=False)
    date_to = LocalDateField(label="Until", required=False)
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


def parse_lead_hours(text: str) -> list[int]:
    """'48, 2' -> [2880, 120]: hours before the appointment, as minutes."""
    minutes = []
    for part in (part for part in re.split(r"[,;\s]+", text.strip()) if part):
        try:
            hours = float(part.lower().removesuffix("h"))
        except ValueError:
            raise forms.ValidationError(f"{part!r} is not a number of hours.", code="bad_lead") from None
        value = round(hours * 60)
        if not MIN_LEAD_MINUTES <= value <= MAX_LEAD_MINUTES:
            raise forms.ValidationError(
                "Each lead time must be between 0.25 hours (15 minutes) and 336 hours (14 days).", code="bad_lead"
            )
        minutes.append(value)
    if len(set(minutes)) > MAX_LEADS:
        raise forms.ValidationError(f"At most {MAX_LEADS} lead times.", code="too_many_leads")
    return sorted(set(minutes), reverse=True)


def format_lead_hours(minutes: list[int]) -> str:
    return ", ".join(f"{value / 60:g}" for value in sorted(minutes or [], reverse=True))


class SmsSettingsForm(forms.Form):
    """The clinic's SMS settings as staff enter them: lead times in hours, the
    sending window in local time. The model validates the rest when the service
    saves (numbers, the window, the template's placeholders)."""

    # Form field -> the service's (and model's) field.
    SERVICE_FIELDS = {"lead_hours": "lead_minutes"}

    enabled = forms.BooleanField(label="Send confirmation requests by SMS", required=False)
    sender_number = forms.CharField(
        label="Sender number",
        required=False,
        max_length=32,
        help_text="The clinic's SMS number with its country code, e.g. +1 202 555 0100; replies arrive here.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    clinic_phone = forms.CharField(
        label="Clinic phone",
        required=False,
        max_length=32,
        help_text="The number patients call with questions, shown in texts. Empty: the sender number.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    lead_hours = forms.CharField(
        label="Send requests (hours before the appointment)",
        required=False,
        max_length=60,
        help_text="Up to four, separated by commas, e.g. 48, 2. Empty: only requests sent by hand.",
    )
    send_from = forms.TimeField(label="Text patients from", widget=time_input(step=300))
    send_until = forms.TimeField(label="Until", widget=time_input(step=300))
    template = forms.CharField(
        label="Confirmation text",
        max_length=SmsSettings._meta.get_field("template").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    text_retention_days = forms.IntegerField(
        label="Keep texts' words for (days)",
        required=False,
        min_value=MIN_TEXT_RETENTION_DAYS,
        help_text="After this the log keeps who, when and the status, not what was written; "
        "texts from unknown numbers are deleted.",
    )
    clinical_details = forms.BooleanField(
        label="Include clinical details",
        required=False,
        help_text=f"Lets the text name the provider, specialty, appointment type or notes. {CLINICAL_WARNING}",
    )
    consent_wording = forms.CharField(
        label="Consent wording",
        required=False,
        max_length=SmsSettings._meta.get_field("consent_wording").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "What a patient agrees to when they accept texts; each consent record keeps the wording then "
            "in force. Empty: the default wording."
        ),
    )

    @classmethod
    def initial_from(cls, sms_settings: SmsSettings) -> dict:
        return {
            "enabled": sms_settings.enabled,
            "sender_number": format_phone(sms_settings.sender_number) if sms_settings.sender_number else "",
            "clinic_phone": format_phone(sms_settings.clinic_phone) if sms_settings.clinic_phone else "",
            "lead_hours": format_lead_hours(sms_settings.lead_minutes),
            "send_from": sms_settings.send_from,
            "send_until": sms_settings.send_until,
            "template": sms_settings.template,
            "text_retention_days": sms_settings.text_retention_days,
            "clinical_details": sms_settings.clinical_details,
            "consent_wording": sms_settings.consent_wording,
        }

    def clean(self) -> dict:
        data = super().clean()
        # The model refuses the same (any path); said here before anything is saved.
        refusal = "" if data.get("clinical_details") else clinical_refusal(data.get("template", ""))
        if refusal:
            self.add_error("template", refusal)
        return data

    def clean_lead_hours(self) -> list[int]:
        return parse_lead_hours(self.cleaned_data["lead_hours"])

    def service_fields(self) -> dict:
        data = self.cleaned_data
        # Left empty: the period stays as it is.
        keep = {} if data["text_retention_days"] is None else {"text_retention_days": data["text_retention_days"]}
        return {
            **keep,
            "enabled": data["enabled"],
            "sender_number": data["sender_number"].strip(),
            "clinic_phone": data["clinic_phone"].strip(),
            "lead_minutes": data["lead_hours"],
            "send_from": data["send_from"],
            "send_until": data["send_until"],
            "template": data["template"],
            "clinical_details": data["clinical_details"],
            "consent_wording": data["consent_wording"].strip(),
        }


def placeholders() -> list[tuple[str, str, bool]]:
    """The template's placeholders, as written in it, what each becomes, and whether
    it reveals clinical detail (template_variables)."""
    return [("{" + variable.name + "}", variable.meaning, variable.clinical) for variable in TEMPLATE_VARIABLES]


class OptOutImportForm(forms.Form):
    """A file of numbers that opted out elsewhere (clinic.messaging.opt_out_import)."""

    file = forms.FileField(
        label="File",
        help_text="CSV or text, one number per line; optionally a header line and, second, the date (YYYY-MM-DD).",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )
    note = forms.CharField(
        label="Where the list comes from",
        required=False,
        max_length=200,
        help_text="Kept with each number, e.g. “The previous booking system's list”.",
    )
