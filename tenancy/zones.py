"""Choosing a time zone on a form: the IANA zones with friendly labels
("America/Chicago (Central Time)"), in a text box that suggests them as one types
(a <datalist>), and a form field that also takes a city ("Chicago") or a label.

Without a script the box and its suggestions work as they are; with
static/js/zone-guess.js a box marked `guess=True` starts at the browser's own zone."""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo

from django import forms
from django.utils.html import format_html, format_html_join

# The regions whose zones are offered; the rest of the database (aliases such as
# "US/Central", "EST5EDT") still validates, it is only not suggested.
REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")

# Names for a zone's standard-time abbreviation, as people say them. An abbreviation
# that means different things in different regions is looked up with its region first.
NAMES_IN_REGION = {
    ("America", "CST"): "Central Time",
    ("Asia", "CST"): "China Standard Time",
    ("America", "PST"): "Pacific Time",
    ("Asia", "PST"): "Philippine Standard Time",
    ("Asia", "IST"): "India Standard Time",
    ("Europe", "IST"): "Irish Time",
}
NAMES = {
    "EST": "Eastern Time",
    "MST": "Mountain Time",
    "AKST": "Alaska Time",
    "HST": "Hawaii-Aleutian Time",
    "AST": "Atlantic Time",
    "NST": "Newfoundland Time",
    "GMT": "Greenwich Mean Time",
    "WET": "Western European Time",
    "CET": "Central European Time",
    "EET": "Eastern European Time",
    "MSK": "Moscow Time",
    "WAT": "West Africa Time",
    "CAT": "Central Africa Time",
    "EAT": "East Africa Time",
    "SAST": "South Africa Standard Time",
    "HKT": "Hong Kong Time",
    "JST": "Japan Standard Time",
    "KST": "Korean Standard Time",
    "PKT": "Pakistan Standard Time",
    "WIB": "Western Indonesia Time",
    "WITA": "Central Indonesia Time",
    "WIT": "Eastern Indonesia Time",
    "AWST": "Western Australia Time",
    "ACST": "Central Australia Time",
    "AEST": "Eastern Australia Time",
    "NZST": "New Zealand Time",
    "ChST": "Chamorro Standard Time",
    "SST": "Samoa Standard Time",
    "UTC": "Coordinated Universal Time",
}
# Zones whose abbreviation names their neighbours' time rather than their own.
NAMES_OF_ZONES = {
    "America/Havana": "Cuba Time",
    "Asia/Taipei": "Taipei Time",
    "Asia/Jerusalem": "Israel Time",
    "Asia/Tel_Aviv": "Israel Time",
}


@functools.cache
def zone_names() -> list[str]:
    """The zones a time zone box suggests, by region then name."""
    names = (name for name in zoneinfo.available_timezones() if name.split("/")[0] in REGIONS)
    return ["UTC", *sorted(names)]


def _standard_time(zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """A moment of standard (not summer) time this year, north or south."""
    year = dt.datetime.now(dt.UTC).year
    moments = [dt.datetime(year, month, 1, 12, tzinfo=zone) for month in (1, 7)]
    return next((moment for moment in moments if not moment.dst()), moments[0])


def _offset(moment: dt.datetime) -> str:
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@functools.cache
def zone_label(name: str) -> str:
    """ "America/Chicago (Central Time)"; a zone without a common name gets its offset
    from UTC in standard time, "Asia/Dubai (UTC+04:00)"."""
    moment = _standard_time(zoneinfo.ZoneInfo(name))
    abbreviation = moment.tzname() or ""
    region = name.split("/")[0]
    common = NAMES_OF_ZONES.get(name) or NAMES_IN_REGION.get((region, abbreviation)) or NAMES.get(abbreviation)
    return f"{name} ({common or _offset(moment)})"


def _key(text: str) -> str:
    return re.sub(r"[\s_]+", "_", text.strip()).casefold()


@functools.cache
def _lookup() -> tuple[dict[str, str], dict[str, list[str]]]:
    """Every zone by its name, and the offered ones by their city, both without case."""
    by_name = {_key(name): name for name in zoneinfo.available_timezones()}
    by_city: dict[str, list[str]] = {}
    for name in zone_names():
        by_city.setdefault(_key(name.rsplit("/", 1)[-1]), []).append(name)
    return by_name, by_city


def _keeps_the_same_time(names: list[str]) -> bool:
    """Whether the zones agree on the time from 1970 to 2040: old and new names of
    one zone ("America/Buenos_Aires", "America/Argentina/Buenos_Aires")."""
    instants = [dt.datetime(year, month, 15, tzinfo=dt.UTC) for year in range(1970, 2041) for month in (1, 7)]
    zones = [zoneinfo.ZoneInfo(name) for name in names]
    return all(len({instant.astimezone(zone).utcoffset() for zone in zones}) == 1 for instant in instants)


def resolve_zone(text: str) -> list[str]:
    """The zones `text` may mean: a zone's name in any case, its label as the box
    suggests it, or a city. One item is an answer; several, a choice to make."""
    text = re.sub(r"\s*\([^()]*\)\s*$", "", text)  # the label's "(Central Time)"
    by_name, by_city = _lookup()
    key = _key(text)
    if key in by_name:
        return [by_name[key]]
    found = by_city.get(key, [])
    if len(found) > 1 and _keeps_the_same_time(found):
        # One zone under several names, any of which keeps its time; the longest is
        # most often the current name (America/Argentina/Buenos_Aires).
        return [max(found, key=len)]
    return found


class ZoneInput(forms.TextInput):
    """A text box suggesting the zones, with their labels, as one types: a list of
    some 600 zones one can search, which a <select> is not. `guess`: the browser's
    own zone fills the box while it is empty (static/js/zone-guess.js, which the
    page loads)."""

    def __init__(self, attrs=None, *, guess: bool = False) -> None:
        attrs = {"autocomplete": "off", "spellcheck": "false", **(attrs or {})}
        if guess:
            attrs["data-guess-zone"] = ""
        super().__init__(attrs)

    def render(self, name, value, attrs=None, renderer=None) -> str:
        list_id = f"{(attrs or {}).get('id') or name}_zones"
        box = super().render(name, value, {**(attrs or {}), "list": list_id}, renderer)
        options = format_html_join(
            "", '<option value="{}">{}</option>', ((zone, zone_label(zone)) for zone in zone_names())
        )
        return format_html('{}<datalist id="{}">{}</datalist>', box, list_id, options)


class ZoneField(forms.CharField):
    """A time zone's IANA name, from what was typed in a ZoneInput."""

    widget = ZoneInput

    def __init__(self, *, max_length: int = 64, **kwargs) -> None:
        super().__init__(max_length=max_length, **kwargs)

    def to_python(self, value) -> str:
        text = super().to_python(value)
        if text in self.empty_values:
            return text
        found = resolve_zone(text)
        if len(found) == 1:
            return found[0]
        if found:
            raise forms.ValidationError(
                "“%(text)s” matches several time zones: %(zones)s. Choose one from the list.",
                code="ambiguous_zone",
                params={"text": text, "zones": ", ".join(found)},
            )
        raise forms.ValidationError(
            "“%(text)s” is not a time zone we know. Type a city, such as Chicago, and choose from the list.",
            code="unknown_zone",
            params={"text": text},
        )
