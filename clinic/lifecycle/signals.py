"""What a clinic's status changes tell the apps (clinic.lifecycle.services sends them
inside the change's transaction).

The apps' receivers defer their own work with transaction.on_commit: a change that
rolls back sets nothing off."""

from __future__ import annotations

from django.dispatch import Signal

# Keyword arguments: organization_id. Sent by clinic_reactivate(), in the clinic's
# tenant context: what each app's worker left waiting while the clinic was suspended
# (texts, event deliveries, CalDAV syncs, busy calendars, voicemails) goes out now,
# not at the next tick (clinic.core.status, TASKS, says so per task).
clinic_reactivated = Signal()
