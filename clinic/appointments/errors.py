"""Errors the schedule raises. A leaf: the models raise them, so this imports none of the
app's modules (reading constraint violations is clinic.core.constraints)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Model


@dataclass(frozen=True)
class BookingWarning:
    """A time that is allowed but probably a mistake (clinic.appointments.guards)."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class SlotConflict(ValidationError):
    """The provider or the patient already has an appointment at that time.
    `conflicting` is the appointment in the way (None if it could not be found)."""

    def __init__(self, message: str, *, code: str = "slot_conflict", conflicting: Model | None = None) -> None:
        super().__init__(message, code=code)
        self.conflicting = conflicting


class BookingNeedsConfirmation(ValidationError):
    """The time is allowed but probably a mistake (clinic.appointments.guards): nothing
    was saved; book again confirming `warnings` (each one's code) to go ahead."""

    def __init__(self, warnings: list[BookingWarning]) -> None:
        text = " ".join(warning.message for warning in warnings)
        super().__init__(f"Please confirm: {text}", code="confirmation_required")
        self.warnings = warnings
