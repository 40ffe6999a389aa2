"""What tenancy tells the apps built on it when a membership changes.

Sent by tenancy.services (the one write path for memberships) inside the change's
transaction: a receiver's writes (an audit event) commit or roll back with it.
tenancy imports nothing of the apps, so this signal is how they hear of it."""

from __future__ import annotations

from django.dispatch import Signal

# Keyword arguments: membership, change (one of CHANGES). Sent after the row is saved
# for ADDED and ROLE_CHANGED, before it is deleted for REMOVED (it still has its id).
membership_changed = Signal()

ADDED = "added"
ROLE_CHANGED = "role_changed"
REMOVED = "removed"
CHANGES = (ADDED, ROLE_CHANGED, REMOVED)
