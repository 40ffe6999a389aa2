"""Helpers for the audit tests: a clinic's events, read in its own tenant context."""

from __future__ import annotations

from clinic.audit.models import AuditEvent
from tenancy.context import tenant_context


def events(org, **filters) -> list[AuditEvent]:
    with tenant_context(org=org):
        return list(AuditEvent.objects.filter(**filters).order_by("at", "id"))


def actions(org, **filters) -> list[str]:
    return [event.action for event in events(org, **filters)]
