"""When a text may go: inside the clinic's sending window (send_from–send_until, e.g.
08:00–21:00), read on the recipient's clock.

`send_time()` is the one place that decides it, for every text the clinic starts
(planned confirmations and reminders, "Send confirmation now", and again when the
worker claims a due one). Answers to the patient's own texts (STOP, HELP, C/N) and
texts staff write in the inbox go at once: they reply to someone who just wrote.

The recipient's zones are, in order:
1. the patient's own zone, when their record sets one;
2. the zones of the phone number (libphonenumber's; a US number's area code is one
   zone, a US toll-free or a Russian mobile number is many);
3. none known (a number libphonenumber places nowhere): the clinic's zone.

With several zones the strictest window wins: a text goes only at an instant inside
the window in EVERY zone. When no instant of a day is (a 13-hour window and zones 13
hours apart), the text waits for the next day that has one. When no day in the
next SEARCH_DAYS has one (the zones of a US toll-free number span 21 hours), it never
will: the clinic's own window is used, and that is logged and told to staff."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import phonenumbers
from django.utils.formats import date_format
from phonenumbers import timezone as phone_timezones

from clinic.core.timezones import NonexistentLocalTime, localize

if TYPE_CHECKING:
    from clinic.appointments.models import Patient
    from clinic.messaging.models import SmsSettings

logger = logging.getLogger(__name__)

# How many days ahead an instant inside every zone's window is looked for. Offsets
# between zones change only with DST, so a week without one means never.
SEARCH_DAYS = 8

PATIENT, NUMBER, CLINIC = "patient", "number", "clinic"


@dataclass(frozen=True)
class SendTime:
    """When a text may go, and what staff are told about it."""

    at: dt.datetime
    # The zones the window was read in, and where they came from (PATIENT, NUMBER, CLINIC).
    zones: tuple[str, ...]
    source: str
    # Empty unless the recipient's clock (not the clinic's) made the text wait, or
    # the recipient's zones could not be honoured; then a sentence naming the zone.
    note: str = ""

    @property
    def delayed_by_recipient(self) -> bool:
        return bool(self.note)


def send_time(due: dt.datetime, *, window: SmsSettings, clinic_zone: ZoneInfo, patient: Patient) -> SendTime:
    """The first instant at or after `due` at which a text to `patient` may go, by the
    sending window of `window` (the clinic's SMS settings: send_from, send_until)."""
    zones, source = recipient_zones(patient.phone, patient.timezone)
    clinic_only = first_time_in_window(due, window, (clinic_zone,))
    if not zones:
        return SendTime(at=clinic_only, zones=(clinic_zone.key,), source=CLINIC)
    names = tuple(zone.key for zone in zones)
    at = first_time_in_window(due, window, zones)
    if at is None:
        logger.warning(
            "no instant in the next %s days is within %s-%s in all of %s; the clinic's window (%s) is used",
            SEARCH_DAYS,
            window.send_from,
            window.send_until,
            ", ".join(names),
            clinic_zone.key,
        )
        note = (
            f"No time is within {window.send_from:%H:%M}\N{EN DASH}{window.send_until:%H:%M} in all of the "
            f"{len(names)} time zones this number may be in; sent in the clinic's window instead."
        )
        return SendTime(at=clinic_only, zones=names, source=source, note=note)
    note = _delay_note(due, at, clinic_only, window, zones, source) if at > due and at != clinic_only else ""
    return SendTime(at=at, zones=names, source=source, note=note)


def recipient_zones(phone: str, patient_zone: str = "") -> tuple[tuple[ZoneInfo, ...], str]:
    """The recipient's candidate zones and their source; () when none is known."""
    if patient_zone:
        return (ZoneInfo(patient_zone),), PATIENT
    zones = _number_zones(phone)
    return (zones, NUMBER) if zones else ((), CLINIC)


@functools.lru_cache(maxsize=1024)
def _number_zones(phone: str) -> tuple[ZoneInfo, ...]:
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return ()
    known = _available_zones()
    # "Etc/Unknown" (libphonenumber's "nowhere") and zones this tz database lacks are left out.
    return tuple(ZoneInfo(name) for name in phone_timezones.time_zones_for_number(number) if name in known)


@functools.cache
def _available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def first_time_in_window(due: dt.datetime, window: SmsSettings, zones: tuple[ZoneInfo, ...]) -> dt.datetime | None:
    """The first instant at or after `due` inside the window in every one of `zones`
    (local wall-clock times, so 08:00 stays 08:00 across DST changes); None if there
    is none within SEARCH_DAYS."""
    allowed = None
    for zone in zones:
        spans = _window_spans(due, window, zone)
        allowed = spans if allowed is None else _intersect(allowed, spans)
    for start, end in allowed or []:
        if end > due:
            return max(start, due)
    return None


def _window_spans(due: dt.datetime, window: SmsSettings, zone: ZoneInfo) -> list[tuple[dt.datetime, dt.datetime]]:
    """[opens, closes) as UTC instants, for each local day from the day before `due`
    to SEARCH_DAYS after it."""
    first = due.astimezone(zone).date() - dt.timedelta(days=1)
    days = (first + dt.timedelta(days=offset) for offset in range(SEARCH_DAYS + 2))
    return [(_local_instant(day, window.send_from, zone), _local_instant(day, window.send_until, zone)) for day in days]


def _intersect(spans_a, spans_b) -> list[tuple[dt.datetime, dt.datetime]]:
    """Where both sorted lists of half-open spans overlap, sorted."""
    overlap = []
    for start_a, end_a in spans_a:
        for start_b, end_b in spans_b:
            start, end = max(start_a, start_b), min(end_a, end_b)
            if start < end:
                overlap.append((start, end))
    return sorted(overlap)


def _local_instant(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    try:
        return localize(day, time, zone)
    except NonexistentLocalTime:
        # The window opens inside a spring-forward gap: the first instant after it.
        return localize(day, time, zone, fold=1)


def _delay_note(due, at, clinic_only, window: SmsSettings, zones: tuple[ZoneInfo, ...], source: str) -> str:
    """What staff read when the recipient's clock made the text wait: the zone whose
    window opening `at` is, and whether the recipient's whole day was shut."""
    binding = next((zone for zone in zones if at.astimezone(zone).time() == window.send_from), zones[0])
    local = at.astimezone(binding)
    when = f"{date_format(local, 'H:i')} in {binding.key}"
    whose = "the patient's time zone" if source == PATIENT else "the time zone of the patient's number"
    if len(zones) == 1:
        return f"Waits for {when}, {whose}."
    hours = f"{window.send_from:%H:%M}\N{EN DASH}{window.send_until:%H:%M}"
    note = f"Waits for {when}: the first time within {hours} in all {len(zones)} time zones of the patient's number."
    due_day = due.astimezone(binding).date()
    if local.date() > due_day and not _any_time_on(due_day, window, zones):
        note += f" No time on {date_format(due_day, 'D j M')} is."
    return note


def _any_time_on(day: dt.date, window: SmsSettings, zones: tuple[ZoneInfo, ...]) -> bool:
    """Whether some instant of `day` (in the first zone) is inside every zone's window."""
    start = _local_instant(day, dt.time.min, zones[0])
    found = first_time_in_window(start, window, zones)
    return found is not None and found.astimezone(zones[0]).date() == day


def zones_named(zones: tuple[str, ...], most: int = 3) -> str:
    """'America/New_York', or the first few of many and how many more."""
    named = ", ".join(zones[:most])
    return named if len(zones) <= most else f"{named} and {len(zones) - most} more"
