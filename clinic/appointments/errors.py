"""Errors the schedule raises, and reading PostgreSQL's constraint violations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import psycopg
from django.core.exceptions import ValidationError
from django.db import IntegrityError

if TYPE_CHECKING:
    from clinic.appointments.guards import BookingWarning
    from clinic.appointments.models import Appointment


class SlotConflict(ValidationError):
    """The provider or the patient already has an appointment at that time.
    `conflicting` is the appointment in the way (None if it could not be found)."""

    def __init__(self, message: str, *, code: str = "slot_conflict", conflicting: Appointment | None = None) -> None:
        super().__init__(message, code=code)
        self.conflicting = conflicting


class BookingNeedsConfirmation(ValidationError):
    """The time is allowed but probably a mistake (clinic.appointments.guards): nothing
    was saved; book again confirming `warnings` (each one's code) to go ahead."""

    def __init__(self, warnings: list[BookingWarning]) -> None:
        text = " ".join(warning.message for warning in warnings)
        super().__init__(f"Please confirm: {text}", code="confirmation_required")
        self.warnings = warnings


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint PostgreSQL reported, if any."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def is_exclusion_violation(exc: IntegrityError) -> bool:
    return isinstance(exc.__cause__, psycopg.errors.ExclusionViolation)
