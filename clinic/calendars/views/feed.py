"""`/calendar/<token>.ics`: a private calendar feed, fetched by a calendar app with no
login. The link's token is checked in three steps: its shape (anything else costs no
query), its hash through the one narrow lookup (hash -> clinic, unrevoked feeds
only), then everything else inside that clinic's tenant context. Unknown, revoked,
malformed, a feed whose creator has left the clinic, and a feed of a clinic whose
status refuses feeds (suspended, closed: clinic.core.status): the same 404, so
a calendar app simply gets no events and nobody learns why."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from clinic.audit.models import AuditEvent
from clinic.audit.trail import ActorInfo, record
from clinic.calendars import ics
from clinic.calendars.models import PATIENT_DETAILS, CalendarFeed, CalendarSettings
from clinic.calendars.services import feed_mark_used
from clinic.calendars.throttling import retry_after_seconds
from clinic.calendars.tokens import organization_for_hash
from clinic.core.status import Surface, allows
from tenancy.context import TenantContextError, tenant_context
from tenancy.decorators import without_active_org
from tenancy.models import Membership, Organization
from tenancy.tokens import token_hash_if_valid

CONTENT_TYPE = "text/calendar; charset=utf-8"
# Only the subscriber's own client may keep a copy; it asks again with If-None-Match.
CACHE_CONTROL = "private, max-age=300"


@without_active_org  # a signed-in member of another clinic may open a link too
@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    token_hash = token_hash_if_valid(token)
    if token_hash is None:
        return _not_found()
    wait = retry_after_seconds(request, token_hash)
    if wait is not None:
        response = HttpResponse("Too many requests for this calendar.\n", status=429, content_type="text/plain")
        response["Retry-After"] = str(wait)
        return response
    org_id = organization_for_hash(token_hash)
    if org_id is None:
        return _not_found()
    try:
        with tenant_context(org=org_id):
            clinic = Organization.objects.filter(pk=org_id).first()
            if clinic is None or not allows(clinic, Surface.FEED):
                return _not_found()
            return _feed_in_clinic(request, token_hash, clinic) or _not_found()
    except TenantContextError:
        return _not_found()


def _feed_in_clinic(request: HttpRequest, token_hash: str, clinic: Organization) -> HttpResponse | None:
    found = CalendarFeed.objects.active().select_related("provider", "created_by").filter(token_hash=token_hash)
    feed = found.first()
    if feed is None or not _creator_is_member(feed):
        return None
    privacy = feed.effective_privacy(CalendarSettings.current())
    now = timezone.now()
    body = ics.render(feed=feed, clinic=clinic, privacy=privacy, appointments=ics.feed_appointments(feed, now), now=now)
    feed_mark_used(feed=feed, now=now)
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["ETag"] = f'"{hashlib.sha256(body).hexdigest()[:40]}"'
    response["Cache-Control"] = CACHE_CONTROL
    response["Content-Disposition"] = 'inline; filename="clinic.ics"'
    conditional = get_conditional_response(request, etag=response["ETag"], response=response)
    if conditional is response and request.method == "GET" and privacy in PATIENT_DETAILS:
        _record_fetch(feed)
    return conditional


def _creator_is_member(feed: CalendarFeed) -> bool:
    """A feed works only while the person who made it belongs to the clinic: removing
    a member ends their links with their access."""
    if feed.created_by_id is None:
        return False
    return Membership.objects.filter(organization_id=feed.organization_id, user_id=feed.created_by_id).exists()


def _record_fetch(feed: CalendarFeed) -> None:
    """One event per feed body that named patients (a 304 sends nothing new). The link
    acts for the member who made it."""
    creator = feed.created_by
    actor = ActorInfo(AuditEvent.Actor.FEED, user_id=creator.pk, label=f"feed link of {creator.get_username()}")
    record(AuditEvent.Action.FEED_FETCHED, obj=feed, actor=actor)


def _not_found() -> HttpResponse:
    # Plain and identical for every kind of dead link: no page that could differ.
    return HttpResponse("Not found.\n", status=404, content_type="text/plain")
