"""Audit events for memberships, which tenancy announces (tenancy.signals): tenancy
imports no app, so it cannot call record() itself. Each receiver runs inside the
change's transaction, so the event commits or rolls back with it. Everything else
calls record() where it writes (docs/architecture/write-path.md)."""

from __future__ import annotations

from django.dispatch import receiver

from clinic.audit.trail import Action, record
from tenancy import signals
from tenancy.context import current_org_id

ACTIONS = {signals.ADDED: Action.MEMBER_ADDED, signals.ROLE_CHANGED: Action.ROLE_CHANGED}
CHANGED_FIELDS = {signals.ADDED: ("user", "role"), signals.ROLE_CHANGED: ("role",)}


@receiver(signals.membership_changed, dispatch_uid="audit.membership_changed")
def membership_changed(sender, *, membership, change: str, **details) -> None:
    if change == signals.REMOVED:
        if current_org_id() == membership.organization_id:
            record(Action.MEMBER_REMOVED, obj=membership)
        return
    record(ACTIONS[change], obj=membership, changed_fields=CHANGED_FIELDS[change], object_type="tenancy.Membership")
