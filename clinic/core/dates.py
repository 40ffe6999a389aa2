"""Dates in the clinic's order. A clinic's locale (Organization.locale, active for its
requests: tenancy.middleware, tenancy.drf) picks the formats of clinic/formats/: how
its pages read a typed date and how they show one. 03/04/2025 is 3 April at a day-first
clinic and March 4 at a month-first one; 2025-04-03 is read the same everywhere.

Date inputs are text boxes, not the browser's date picker: the picker writes the
browser's order (a receptionist's laptop set up in the US shows a London clinic's
dates month first), whereas a text box in the clinic's order reads the same on every
desk."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils.formats import get_format
from django.utils.functional import lazy
from django.utils.text import format_lazy

from clinic.core.phones import zone_country

# Where dates are written month first; every other country writes them day first.
MONTH_FIRST_COUNTRIES = frozenset({"US", "PR", "GU", "AS", "VI", "MP", "UM", "FM", "MH", "PW"})
MONTH_FIRST, DAY_FIRST = "en-us", "en-gb"


def locale_for_timezone(zone: str) -> str:
    """The usual locale of the country of `zone`; the site's own for a zone of no
    country (UTC). Migration tenancy/0015 filled existing clinics the same way."""
    country = zone_country(zone)
    if country is None:
        return settings.LANGUAGE_CODE
    return MONTH_FIRST if country in MONTH_FIRST_COUNTRIES else DAY_FIRST


def date_hint() -> str:
    """How to type a date in the active locale: 'dd/mm/yyyy' or 'mm/dd/yyyy'."""
    first = get_format("DATE_INPUT_FORMATS")[0]
    return first.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy")


def parse_date(text: str) -> dt.date | None:
    """`text` as a date in the active locale's order (ISO too), else None."""
    for fmt in get_format("DATE_INPUT_FORMATS"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


lazy_date_hint = lazy(date_hint, str)


class LocalDateInput(forms.DateInput):
    """A text box showing the date in the active locale's first input format, with
    that format as its placeholder (worked out when shown, in the clinic's locale)."""

    def __init__(self, attrs=None) -> None:
        super().__init__({"autocomplete": "off", "size": 10, **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("placeholder", date_hint())
        return context


class LocalDateField(forms.DateField):
    """A date typed in the clinic's order, or in ISO; refused with the order it expects."""

    widget = LocalDateInput
    default_error_messages = {
        "invalid": format_lazy("Enter the date as {} (or as yyyy-mm-dd).", lazy_date_hint()),
    }


def locale_field(*, from_timezone: bool) -> forms.ChoiceField:
    """The clinic's date order as a choice of settings.LANGUAGES. For a new clinic
    (`from_timezone`) it may be left to its time zone's country (locale_for_timezone)."""
    choices = list(settings.LANGUAGES)
    if from_timezone:
        choices.insert(0, ("", "As usual in the time zone's country"))
    return forms.ChoiceField(
        label="Date order",
        choices=choices,
        required=not from_timezone,
        help_text="How dates are typed and shown on the clinic's pages; the API always uses yyyy-mm-dd.",
    )


def chosen_locale(locale: str, zone: str) -> str:
    """What a new clinic's `locale_field(from_timezone=True)` answer means."""
    return locale or locale_for_timezone(zone)


class LocaleForm(forms.Form):
    """The date order of an existing clinic (its setup page)."""

    locale = locale_field(from_timezone=False)
