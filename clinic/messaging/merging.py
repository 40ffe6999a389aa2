"""At most one confirmation request per appointment per sending opportunity.

Each lead time gives a reminder its own time (the appointment's start less the
lead). A request sent at some instant, automatically or by hand, satisfies every
reminder planned to go before the next reminder's own time (the first more than
SAME_OPPORTUNITY ahead of that instant; the start when none is): reminders that fall due together, pushed
to the same window opening or all past when the appointment was booked, go as one
text, and "Send confirmation now" stands in for the reminders already due.

`settle()` applies the rule to one appointment's requests; planning (scheduling.py)
calls it so staff see what will go, and the worker's claim (delivery.py) calls it
again under the appointment's lock, so two workers, or a worker and a hand-sent
request, never both text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils.formats import date_format

from clinic.messaging.models import ConfirmationRequest

Status = ConfirmationRequest.Status

# Serialises everything that plans or claims one appointment's requests.
LOCK_SQL = (
    "SELECT count(pg_advisory_xact_lock(hashtextextended('sms-requests|' || id, 0)))"
    " FROM (SELECT id FROM unnest(%s::text[]) AS id ORDER BY id) AS ordered"
)


def lock_appointments(appointment_ids: Iterable) -> None:
    """Hold each appointment's request lock until the transaction ends (taken in id
    order, so two callers never wait on each other in a circle)."""
    ids = sorted({str(pk) for pk in appointment_ids})
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(LOCK_SQL, [ids])


# A reminder whose own time comes this soon after a text is due with it: a second
# text seconds or minutes after the first is a duplicate, not a reminder. (The
# shortest lead time a clinic may set.)
SAME_OPPORTUNITY = dt.timedelta(minutes=15)


def covered_until(sent_at: dt.datetime, starts_at: dt.datetime, leads: Iterable[int]) -> dt.datetime:
    """The own time of the next reminder after `sent_at` (more than SAME_OPPORTUNITY
    after it), or the start: a request sent at `sent_at` satisfies every reminder
    planned before it."""
    own_times = sorted(starts_at - dt.timedelta(minutes=lead) for lead in leads)
    return next((own for own in own_times if own > sent_at + SAME_OPPORTUNITY), starts_at)


def describe(request: ConfirmationRequest) -> str:
    if request.lead_minutes is None:
        return "the request sent by hand"
    hours, minutes = divmod(request.lead_minutes, 60)
    return f"the {hours} h reminder" if not minutes else f"the {hours} h {minutes} min reminder"


def settle(
    pending: list[ConfirmationRequest],
    sent: list[tuple[ConfirmationRequest, dt.datetime]],
    *,
    starts_at: dt.datetime,
    leads: Iterable[int],
    zone: ZoneInfo,
    now: dt.datetime,
) -> list[ConfirmationRequest]:
    """Mark skipped, with the reason, the pending requests (for the appointment's
    current start) that an earlier or simultaneous request satisfies; returns them,
    unsaved. `sent`: the requests already texted for this start, with when. Of
    requests going at the same moment, one sent by hand is kept, else the one with
    the shortest lead (its own time is the latest)."""
    leads = list(leads)
    covered, by = None, None
    for request, sent_at in sent:
        until = covered_until(sent_at, starts_at, leads)
        if covered is None or until > covered:
            covered, by = until, f"{describe(request)}, texted {_when(sent_at, zone)}"
    merged = []
    order = sorted(pending, key=lambda r: (max(r.due_at, now), r.lead_minutes is not None, r.lead_minutes or 0))
    for request in order:
        goes_at = max(request.due_at, now)
        if covered is not None and goes_at < covered:
            request.status = ConfirmationRequest.Status.SKIPPED
            request.skip_reason = f"Merged into {by}."[:200]
            merged.append(request)
            continue
        covered, by = covered_until(goes_at, starts_at, leads), f"{describe(request)} at {_when(goes_at, zone)}"
    return merged


def _when(instant: dt.datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return f"{date_format(local, 'D j M')}, {date_format(local, 'H:i')}"


def merge_requests(appointment_id, starts_at: dt.datetime, *, zone: ZoneInfo, now: dt.datetime) -> int:
    """Apply the rule to one appointment's requests for `starts_at` and save what it
    merged; returns how many. The caller holds the appointment's lock. Pending rows
    another transaction has locked are left for the next pass rather than waited on."""
    rows = ConfirmationRequest.objects.filter(appointment_id=appointment_id, appointment_starts_at=starts_at)
    leads = set(rows.exclude(lead_minutes=None).values_list("lead_minutes", flat=True))
    pending = list(rows.filter(status=Status.PENDING).select_for_update(skip_locked=True))
    if not pending:
        return 0
    sent = [
        (request, request.message.created_at if request.message else request.due_at)
        for request in rows.filter(status=Status.QUEUED).select_related("message")
    ]
    merged = settle(pending, sent, starts_at=starts_at, leads=leads, zone=zone, now=now)
    ConfirmationRequest.objects.bulk_update(merged, ["status", "skip_reason"])
    return len(merged)
