"""Writes to calendar connections: creating and revoking feeds, recording their use,
the clinic's calendar settings, and busy calendars (adding, removing, refreshing and
storing what a fetch found). Used by the staff pages, the worker and tests alike;
each must run inside the clinic's tenant context."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.appointments.models import Provider
from clinic.audit.trail import Action, record
from clinic.calendars import busy, fetching
from clinic.calendars.busy_store import busy_calendar_store
from clinic.calendars.models import (
    PATIENT_DETAILS,
    BusyCalendar,
    CalDAVConnection,
    CalendarFeed,
    CalendarSettings,
    Privacy,
)
from tenancy.models import Organization
from tenancy.tokens import new_token

# A feed is fetched every few minutes by each calendar app subscribed to it; its
# "last used" time is written at most this often, not on every fetch.
LAST_USED_RESOLUTION = dt.timedelta(minutes=10)


@transaction.atomic
def feed_create(*, provider: Provider | None, privacy: str = Privacy.TYPE, created_by) -> tuple[CalendarFeed, str]:
    """A new feed of the current clinic, and the token of its link: shown once, never stored."""
    if privacy in PATIENT_DETAILS and not CalendarSettings.current().allow_patient_details:
        raise ValidationError({"privacy": "This clinic does not allow feeds with patient details."}, code="forbidden")
    token, token_hash = new_token()
    feed = CalendarFeed(provider=provider, privacy=privacy, token_hash=token_hash, created_by=created_by)
    feed.claim_for_current_org()
    feed.full_clean()
    feed.save(force_insert=True)
    record(Action.FEED_CREATED, obj=feed)
    return feed, token


@transaction.atomic
def feed_revoke(*, feed: CalendarFeed) -> CalendarFeed:
    """Revoke a feed: its link answers 404 from the next fetch on. Twice keeps the first time."""
    feed.refresh_from_db(from_queryset=CalendarFeed.objects.select_for_update())
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        record(Action.FEED_REVOKED, obj=feed)
    return feed


def feed_mark_used(*, feed: CalendarFeed, now: dt.datetime) -> None:
    """Note that the feed was fetched, unless that was noted less than
    LAST_USED_RESOLUTION ago. One conditional UPDATE, no lock: two fetches racing
    both write about the same time."""
    if feed.last_used_at is not None and now - feed.last_used_at < LAST_USED_RESOLUTION:
        return
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    feed.last_used_at = now


@transaction.atomic
def calendar_settings_update(*, allow_patient_details: bool, busy_conflicts: str | None = None) -> CalendarSettings:
    """Owners' and admins' rules: patient details in feeds (forbidding them caps every
    existing feed at "appointment type and time" from its next fetch on), and what
    booking does when a provider is busy in a busy calendar (unchanged if None)."""
    settings = CalendarSettings.objects.select_for_update().first() or CalendarSettings()
    settings.claim_for_current_org()
    settings.allow_patient_details = allow_patient_details
    if busy_conflicts is not None:
        settings.busy_conflicts = busy_conflicts
    settings.full_clean()
    settings.save()
    return settings


# --- Busy calendars ------------------------------------------------------------------


@transaction.atomic
def busy_calendar_add(
    *, provider: Provider | None = None, name: str, url: str = "", caldav_connection: CalDAVConnection | None = None
) -> BusyCalendar:
    """Add a provider's outside calendar, an ICS URL or their connected CalDAV calendar
    (whose provider it is then); the worker reads it once this commits, then
    periodically. Only the URL's shape is checked here: where it points is checked at
    each fetch (its DNS may change)."""
    if caldav_connection is not None:
        calendar = BusyCalendar(
            provider_id=caldav_connection.provider_id, name=name.strip(), caldav_connection=caldav_connection
        )
        return _busy_calendar_insert(calendar)
    url = url.strip()
    if url.lower().startswith("webcal://"):  # what Apple and Outlook hand out: https underneath
        url = "https://" + url[len("webcal://") :]
    try:
        fetching.check_url(url)
    except fetching.FetchError as exc:
        raise ValidationError({"url": str(exc)}, code="invalid_url") from None
    return _busy_calendar_insert(BusyCalendar(provider=provider, name=name.strip(), url=url))


def _busy_calendar_insert(calendar: BusyCalendar) -> BusyCalendar:
    calendar.claim_for_current_org()
    calendar.full_clean()
    calendar.save(force_insert=True)
    record(Action.BUSY_CALENDAR_ADDED, obj=calendar)
    defer_refresh(calendar)
    return calendar


@transaction.atomic
def busy_calendar_remove(*, busy_calendar: BusyCalendar) -> None:
    """Remove the calendar and its busy times (the database cascades to them)."""
    record(Action.BUSY_CALENDAR_REMOVED, obj=busy_calendar)
    BusyCalendar.objects.filter(pk=busy_calendar.pk).delete()


def busy_calendar_refresh(*, busy_calendar: BusyCalendar, now: dt.datetime | None = None) -> BusyCalendar:
    """Fetch the calendar now and store what it says (or why it failed). The worker's
    job does the same in two steps, so that no transaction stays open during a fetch."""
    now = now or timezone.now()
    zone = Organization.objects.get(pk=busy_calendar.organization_id).zone
    source = busy.source_of(BusyCalendar.objects.select_related("caldav_connection").get(pk=busy_calendar.pk))
    reading = busy.read_source(source, zone=zone, now=now)
    return busy_calendar_store(busy_calendar=busy_calendar, reading=reading, now=now)


def defer_refresh(calendar: BusyCalendar) -> None:
    from clinic.calendars import tasks  # the worker's tasks import this module

    tasks.defer_refresh(calendar)
