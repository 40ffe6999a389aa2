"""Calendars' part of a patient's erasure (clinic.data_rights): CalDAV calendars that
show patients' initials or names hold the old ones in their events, which are
rewritten with the pseudonym once the erasure commits."""

from __future__ import annotations

from clinic.appointments.models import Patient
from clinic.calendars.caldav.tasks import defer_pushes_for_patient


def erase(patient: Patient) -> None:
    defer_pushes_for_patient(patient)
