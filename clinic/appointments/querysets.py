"""Querysets of the clinic's models. Each builds on TenantQuerySet, and each manager on
TenantManager, so every query stays scoped to the current clinic."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from clinic.appointments.timezones import local_day_bounds
from tenancy.models import TenantManager, TenantQuerySet

# Date of birth as staff type it: ISO, European, US.
DATE_OF_BIRTH_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y")
MIN_PHONE_DIGITS = 4


def search_key(text: str) -> str:
    """Lower-case, accents stripped ('Müller' -> 'muller'): how names are matched.

    Done in Python and stored (Patient.search_name) because the `unaccent` extension
    is not installed, and the stored column carries a trigram index."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())


def _parse_date(text: str) -> dt.date | None:
    for fmt in DATE_OF_BIRTH_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


class PatientQuerySet(TenantQuerySet):
    def search(self, q: str) -> PatientQuerySet:
        """Patients matching every word of `q` by name (case- and accent-insensitive),
        or by phone digits, or by date of birth. An empty query matches everyone."""
        q = q.strip()
        if not q:
            return self
        condition = Q()
        for word in search_key(q).split():
            condition &= Q(search_name__contains=word)
        digits = re.sub(r"\D", "", q)
        if len(digits) >= MIN_PHONE_DIGITS:
            condition |= Q(phone__contains=digits)
        born = _parse_date(q)
        if born is not None:
            condition |= Q(date_of_birth=born)
        return self.filter(condition)


class ActiveQuerySet(TenantQuerySet):
    def active(self) -> ActiveQuerySet:
        return self.filter(active=True)


class AppointmentQuerySet(TenantQuerySet):
    def active(self) -> AppointmentQuerySet:
        """Appointments that hold their slot: not cancelled, not a no-show."""
        return self.exclude(status__in=self.model.INACTIVE_STATUSES)

    def on_day(self, day: dt.date, zone: ZoneInfo) -> AppointmentQuerySet:
        """Appointments starting on the local calendar day `day` of `zone` (23 or 25
        hours long on the days the clocks change)."""
        start, end = local_day_bounds(day, zone)
        return self.filter(starts_at__gte=start, starts_at__lt=end)

    def overlapping(self, starts_at: dt.datetime, ends_at: dt.datetime) -> AppointmentQuerySet:
        """Half-open ranges, like the exclusion constraints: 09:00-09:30 and
        09:30-10:00 do not overlap."""
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)

    def upcoming(self, now: dt.datetime | None = None) -> AppointmentQuerySet:
        """Not yet started, soonest first. upcoming() and past() split all appointments."""
        return self.filter(starts_at__gte=now or timezone.now()).order_by("starts_at")

    def past(self, now: dt.datetime | None = None) -> AppointmentQuerySet:
        """Already started, most recent first."""
        return self.filter(starts_at__lt=now or timezone.now()).order_by("-starts_at")

    def with_related(self) -> AppointmentQuerySet:
        return self.select_related("patient", "provider", "appointment_type")


PatientManager = TenantManager.from_queryset(PatientQuerySet)
ActiveManager = TenantManager.from_queryset(ActiveQuerySet)
AppointmentManager = TenantManager.from_queryset(AppointmentQuerySet)
