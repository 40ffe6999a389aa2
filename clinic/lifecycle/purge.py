"""The purge of closed clinics: a closed clinic is deleted, with all its data, once its
grace period (CLOSED_CLINIC_GRACE_DAYS) is over, as the owner role (`manage.py
purge_closed_clinics`, a privileged command), the only role that may delete a clinic.
Its voicemails' audio, kept outside the database, goes with it."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from clinic.lifecycle.services import Status, in_grace_period
from clinic.voice import audio as voice_audio
from tenancy.context import tenant_context
from tenancy.models import Organization

logger = logging.getLogger(__name__)


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
