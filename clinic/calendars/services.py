"""Writes to calendar connections: creating and revoking feeds, recording their use,
and the clinic's calendar settings. Used by the staff pages and tests alike; each
must run inside the clinic's tenant context."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.appointments.models import Provider
from clinic.audit.trail import Action, record
from clinic.calendars.models import PATIENT_DETAILS, CalendarFeed, CalendarSettings, Privacy
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
def calendar_settings_update(*, allow_patient_details: bool) -> CalendarSettings:
    """Owners' and admins' rule on patient details in feeds. Forbidding them caps every
    existing feed at "appointment type and time" from its next fetch on."""
    settings = CalendarSettings.objects.select_for_update().first() or CalendarSettings()
    settings.claim_for_current_org()
    settings.allow_patient_details = allow_patient_details
    settings.save()
    return settings
