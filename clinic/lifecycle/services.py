"""A clinic's lifecycle: the only writes of `Organization.status`.

trial → active; trial or active → suspended → active again; any → closed. Each
change locks the clinic's row, stores when and why, and adds an event to the clinic's
own audit trail in the same transaction, so its owners read who did it and when on
the audit page (the reason is on the clinic: the suspended page and the console show
it). They run in the clinic's tenant context as `changed_by`, who need not be a member
(a platform superuser acting from the console): the row is the current tenant's.

A closed clinic is deleted, with all its data, by `clinic_purge` once its grace
period (CLOSED_CLINIC_GRACE_DAYS) is over: as the owner role (`manage.py
purge_closed_clinics`, a privileged command), the only role that may delete a clinic."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from clinic.api.models import WebhookDelivery
from clinic.api.webhooks import tasks as webhook_tasks
from clinic.audit.trail import Action, record
from clinic.calendars import tasks as busy_tasks
from clinic.calendars.caldav import tasks as caldav_tasks
from clinic.calendars.models import BusyCalendar, CalDAVConnection
from clinic.core.status import grace_ends_at
from clinic.messaging import tasks as sms_tasks
from clinic.messaging.models import SmsMessage
from clinic.voice import audio as voice_audio
from clinic.voice import tasks as voice_tasks
from tenancy.context import granted, tenant_context
from tenancy.jobs import defer_on_commit
from tenancy.models import Organization

logger = logging.getLogger(__name__)
Status = Organization.Status
# The grant the database asks for to change a clinic's status (tenancy/0013).
CLINIC_STATUS_GRANT = "clinic_status"

# What each change is allowed from, and how the audit trail names it.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "activate": (frozenset({Status.TRIAL}), Action.CLINIC_ACTIVATED),
    "suspend": (frozenset({Status.TRIAL, Status.ACTIVE}), Action.CLINIC_SUSPENDED),
    "reactivate": (frozenset({Status.SUSPENDED}), Action.CLINIC_REACTIVATED),
    "close": (frozenset({Status.TRIAL, Status.ACTIVE, Status.SUSPENDED}), Action.CLINIC_CLOSED),
}
TARGET = {"activate": Status.ACTIVE, "suspend": Status.SUSPENDED, "reactivate": Status.ACTIVE, "close": Status.CLOSED}
MAX_REASON = 500


def clinic_activate(*, organization_id, changed_by, reason: str) -> Organization:
    """A clinic in trial becomes active."""
    return _change(organization_id, "activate", changed_by=changed_by, reason=reason)


def clinic_suspend(*, organization_id, changed_by, reason: str) -> Organization:
    """Its people see the suspended page, its API answers 403, its worker sends
    nothing (postponed, not dropped); inbound texts still count (STOP, START)."""
    return _change(organization_id, "suspend", changed_by=changed_by, reason=reason)


def clinic_reactivate(*, organization_id, changed_by, reason: str) -> Organization:
    """Back to active: the postponed texts and event deliveries go out."""
    return _change(organization_id, "reactivate", changed_by=changed_by, reason=reason)


def clinic_close(*, organization_id, changed_by, reason: str) -> Organization:
    """Nobody works in it any more; its owners may download its export until the
    grace period ends, then it is deleted."""
    return _change(organization_id, "close", changed_by=changed_by, reason=reason)


def _change(organization_id, transition: str, *, changed_by, reason: str) -> Organization:
    reason = clean_reason(reason)
    allowed_from, action = TRANSITIONS[transition]
    with tenant_context(org=organization_id, user=changed_by):
        clinic = Organization.objects.select_for_update().filter(pk=organization_id).first()
        if clinic is None:
            raise Organization.DoesNotExist("No such clinic.")
        if clinic.status not in allowed_from:
            raise ValidationError(
                f"{clinic.name} is {clinic.get_status_display().lower()}: it cannot be {past_tense(transition)}.",
                code="invalid_transition",
            )
        clinic.status, clinic.status_reason, clinic.status_changed_at = TARGET[transition], reason, timezone.now()
        # The database refuses a status change without this grant (tenancy/0013): only
        # this service changes a clinic's status, never SQL of a request's own.
        with granted(CLINIC_STATUS_GRANT):
            clinic.save(update_fields=["status", "status_reason", "status_changed_at"])
        record(action, obj=clinic, changed_fields=["status", "status_reason"], user=changed_by)
        if transition == "reactivate":
            _resume_postponed(organization_id)
    logger.info("Clinic %s: %s by user %s", organization_id, transition, getattr(changed_by, "pk", None))
    return clinic


def _resume_postponed(organization_id) -> None:
    """Once the reactivation commits: the texts and event deliveries the worker left
    waiting while the clinic was suspended go out now, not at the next tick; each
    working CalDAV connection is synced again (a push refused meanwhile left its
    calendar behind), the busy calendars are read again and the voicemails left
    meanwhile are fetched (clinic.core.status,
    TASKS, says so per task)."""
    defer_on_commit(sms_tasks.dispatch_clinic, organization_id=organization_id)
    for message in SmsMessage.objects.filter(status=SmsMessage.Status.QUEUED).only("id", "organization_id"):
        sms_tasks.defer_delivery(message)
    now = timezone.now()
    pending = WebhookDelivery.objects.filter(
        Q(in_flight_until__isnull=True) | Q(in_flight_until__lt=now), status=WebhookDelivery.Status.PENDING
    )
    for webhook_delivery in pending.only("id", "organization_id"):
        webhook_tasks.defer_delivery(webhook_delivery)
    for caldav_connection in CalDAVConnection.objects.working().only("id", "organization_id"):
        caldav_tasks.defer_sync(caldav_connection)
    if BusyCalendar.objects.exists():
        defer_on_commit(busy_tasks.refresh_clinic, organization_id=organization_id)
    voice_tasks.defer_all_pending()


def clean_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("Say why: the clinic's owners will read it.", code="reason_required")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"Keep the reason under {MAX_REASON} characters.", code="reason_too_long")
    return reason


def past_tense(transition: str) -> str:
    return {"activate": "activated", "suspend": "suspended", "reactivate": "reactivated", "close": "closed"}[transition]


def in_grace_period(clinic: Organization, now: dt.datetime | None = None) -> bool:
    ends = grace_ends_at(clinic)
    return ends is not None and (now or timezone.now()) < ends


def clinics_due_for_purge(now: dt.datetime | None = None, *, using: str) -> list:
    """The ids of clinics closed longer ago than the grace period: the one pre-tenant
    question the purge asks (`tenancy_closed_clinics`, migration tenancy/0007)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.CLOSED_CLINIC_GRACE_DAYS)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT tenancy_closed_clinics(%s)", [cutoff])
        return [row[0] for row in cursor.fetchall()]


def clinic_purge(*, organization_id, now: dt.datetime | None = None, using: str) -> bool:
    """Delete a closed clinic whose grace period is over, and by the database's ON
    DELETE CASCADE every row of it in every tenant table (append-only ones included:
    PostgreSQL runs a cascade as the table's owner) and every membership.

    Only the owner role may delete a clinic (tenancy/0010_membership_guards), so this
    runs on its alias (`using`), which only privileged commands open; FORCE ROW LEVEL SECURITY
    binds that role too, so it works in the clinic's own tenant context, signed on that
    connection. Re-checked under the row lock: a clinic reopened or closed only
    recently is left alone (False)."""
    with tenant_context(org=organization_id, using=using):
        clinics = Organization.objects.using(using)
        clinic = clinics.select_for_update().filter(pk=organization_id).first()
        if clinic is None or clinic.status != Status.CLOSED or in_grace_period(clinic, now):
            return False
        clinics.filter(pk=organization_id).delete()
    # Its voicemails' audio is in storage, not the database: deleted once the rows are.
    voice_audio.delete_clinic(organization_id)
    # Its audit trail is gone with it: the application log keeps the fact.
    logger.warning("Closed clinic %s deleted after its grace period", organization_id)
    return True


def purge_closed_clinics(now: dt.datetime | None = None, *, using: str) -> int:
    """Delete every clinic due (each in a transaction of its own); how many were."""
    due = clinics_due_for_purge(now, using=using)
    return sum(clinic_purge(organization_id=org_id, now=now, using=using) for org_id in due)
