"""Querysets of the clinic's models. Each builds on TenantQuerySet, and each manager on
TenantManager, so every query stays scoped to the current clinic."""

from __future__ import annotations

import datetime as dt
import re
import sys
import unicodedata
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from clinic.core.dates import parse_date
from clinic.core.timezones import local_day_bounds
from tenancy.models import TenantManager, TenantQuerySet

MIN_PHONE_DIGITS = 4


def search_key(text: str) -> str:
    """Lower-case, accents stripped ('Müller' -> 'muller'): how names are matched.

    Done in Python and stored (Patient.search_name, search_last) because the
    `unaccent` extension is not installed, and the stored columns carry the indexes."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())


# How a page of search results is ordered: by name, as an expression no index supplies.
# Ordered by the plain columns, PostgreSQL may walk the clinic's patients in name order
# hoping to meet a page of matches early, and reads half the clinic when the matches are
# all under "M"; ordered by an expression it finds the matches through the name indexes
# and sorts only those (bench/RESULTS.md: 16 -> 9 ms at 50,000 patients).
SEARCH_ORDER = (Lower("last_name"), Lower("first_name"), "id")


def _name_starts_with(prefix: str) -> Q:
    """The first or the last name starts with `prefix`, as ranges: the columns'
    collation is "C" (code point order), so the next code point bounds the range."""
    if ord(prefix[-1]) >= sys.maxunicode:
        return Q(search_name__startswith=prefix) | Q(search_last__startswith=prefix)
    bound = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(search_name__gte=prefix, search_name__lt=bound) | Q(search_last__gte=prefix, search_last__lt=bound)


class PatientQuerySet(TenantQuerySet):
    def search(self, q: str) -> PatientQuerySet:
        """Patients whose first or last name starts with the first word of `q` and whose
        name holds every other word (case- and accent-insensitive), or by phone
        digits, or by date of birth (in the clinic's order, or ISO: clinic.core.dates). An
        empty query matches everyone.

        Why a prefix: under row-level security PostgreSQL runs a condition before the
        policy only if its operator is leakproof, and only such a condition can be an
        index condition. LIKE is not leakproof (a trigram index would sit unused and
        the search would read every patient of the clinic); `>=` and `<` on text are.
        So the first word is a range on an index leading with organization_id, and
        the other words are checked on the few rows it finds."""
        q = q.strip()
        if not q:
            return self
        first, *others = search_key(q).split() or [""]
        condition = _name_starts_with(first) if first else Q(pk__in=[])
        for word in others:
            condition &= Q(search_name__contains=word)
        digits = re.sub(r"\D", "", q)
        if len(digits) >= MIN_PHONE_DIGITS:
            condition |= Q(phone__contains=digits)
        born = parse_date(q)
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

    def upcoming_and_past(self, now: dt.datetime, limit: int) -> tuple[list, list]:
        """The first `limit` of upcoming() and of past(), in one query (UNION ALL), as
        two lists in their own orders."""
        rows = list(self.upcoming(now)[:limit].union(self.past(now)[:limit], all=True))
        upcoming = sorted((row for row in rows if row.starts_at >= now), key=lambda row: row.starts_at)
        past = sorted((row for row in rows if row.starts_at < now), key=lambda row: row.starts_at, reverse=True)
        return upcoming, past

    def with_related(self) -> AppointmentQuerySet:
        return self.select_related("patient", "provider", "appointment_type")


PatientManager = TenantManager.from_queryset(PatientQuerySet)
ActiveManager = TenantManager.from_queryset(ActiveQuerySet)
AppointmentManager = TenantManager.from_queryset(AppointmentQuerySet)
