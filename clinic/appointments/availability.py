"""Whether a provider is free, as the apps above scheduling know it.

Scheduling cannot import the apps built on it, so they register here instead: a check
takes `provider_id`, `starts_at` and `ends_at`, raises SlotConflict to refuse the time,
or returns a warning to show (None when there is nothing to say). Busy calendars
register theirs in CalendarsConfig.ready(). Checks are queries, not side effects:
a side effect of a write is a signal (clinic.appointments.signals)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Check = Callable[..., str | None]

_checks: list[Check] = []


def register(check: Check) -> Check:
    if check not in _checks:
        _checks.append(check)
    return check


def warnings(*, provider_id, starts_at: dt.datetime, ends_at: dt.datetime) -> list[str]:
    """Each registered check's warning for the time, in registration order."""
    found = (check(provider_id=provider_id, starts_at=starts_at, ends_at=ends_at) for check in _checks)
    return [warning for warning in found if warning]
