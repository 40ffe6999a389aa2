"""A clinic's lifecycle: the only writes of `Organization.status`.

trial → active; trial or active → suspended → active again; any → closed. Each
change locks the clinic's row, stores when and why, and adds an event to the clinic's
own audit trail in the same transaction, so its owners read who did it and when on
the audit page (the reason is on the clinic: the suspended page and the console show
it). They run in the clinic's tenant context as `changed_by`, who need not be a member
(a platform superuser acting from the console): the row is the current tenant's.

A reactivation is announced (clinic.lifecycle.signals.clinic_reactivated): the apps
that postponed work for the suspended clinic resume it. These services sit among the
domains, below the apps that receive it (docs/architecture/layout.md).

A closed clinic is deleted, with all its data, by `clinic_purge` (clinic.lifecycle.purge)
once its grace period (CLOSED_CLINIC_GRACE_DAYS) is over: as the owner role (`manage.py
purge_closed_clinics`, a privileged command), the only role that may delete a clinic."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.audit.trail import Action, record
from clinic.core.status import grace_ends_at
from clinic.lifecycle import signals
from tenancy.context import granted, tenant_context
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
            # What the worker left waiting while the clinic was suspended goes out now,
            # not at the next tick: each app's receiver defers its own once this commits.
            signals.clinic_reactivated.send(sender=Organization, organization_id=organization_id)
    logger.info("Clinic %s: %s by user %s", organization_id, transition, getattr(changed_by, "pk", None))
    return clinic


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
