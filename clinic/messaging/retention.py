"""The retention periods of a clinic's texts and webhook data, applied by `manage.py
messaging_prune` as the owner role (a privileged command, run daily like
`audit_prune`). The runtime role keeps exactly the rights it had: the prune needs
none of them, it runs on the owner's connection.

Which clinics have anything due comes from two narrow pre-tenant functions (ids only:
`api_webhook_retention_clinics`, `messaging_retention_clinics`); each clinic is then
pruned in its own proven tenant context and transaction, through
clinic.messaging.services.messaging_prune_clinic, which also records the run in that
clinic's audit trail."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from clinic.messaging.models import MIN_TEXT_RETENTION_DAYS
from clinic.messaging.services import messaging_prune_clinic
from tenancy.context import tenant_context


def clinics_due(now: dt.datetime, *, using: str) -> list[uuid.UUID]:
    """The clinics that may have something to prune. Texts are asked for with the
    shortest period a clinic may choose; each clinic's own is applied later."""
    webhooks_before = now - dt.timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
    texts_before = now - dt.timedelta(days=MIN_TEXT_RETENTION_DAYS)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT api_webhook_retention_clinics(%s)", [webhooks_before])
        clinics = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT messaging_retention_clinics(%s)", [texts_before])
        clinics |= {row[0] for row in cursor.fetchall()}
    return sorted(clinics)


def prune_all(now: dt.datetime | None = None, *, using: str, dry_run: bool = False) -> dict[uuid.UUID, dict[str, int]]:
    """Prune every clinic due, each in a transaction of its own: what each removed.
    `using` is the owner's connection, which only the privileged command opens."""
    now = now or timezone.now()
    results = {}
    for org_id in clinics_due(now, using=using):
        with tenant_context(org=org_id, using=using):
            results[org_id] = messaging_prune_clinic(now=now, dry_run=dry_run, using=using)
    return results
