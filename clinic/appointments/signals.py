"""What the schedule tells the rest of the product when an appointment changes.

Sent by the services (the one write path) inside the change's transaction, after the
row is saved: a receiver's writes (an SMS request, an integrator event, an audit row)
commit or roll back with the change itself. Work outside the database (a job to run,
a message to send) is deferred with transaction.on_commit by the receiver."""

from __future__ import annotations

from django.dispatch import Signal

# Keyword arguments: appointment, change (one of CHANGES), previous_status
# (the status before, "" for a booking), changed_fields (names), via
# (AppointmentStatusChange.Via value), changed_by (a User or None).
appointment_changed = Signal()
# Keyword arguments: patient, changed_fields (names). Sent by patient_update() after
# the row is saved, when something changed: texts planned for the patient follow
# their number and time zone (quiet hours are the patient's).
patient_changed = Signal()
# Keyword arguments: patient, consented (bool), source (a ConsentSource value or None:
# read from who is acting), note. Sent by patient_create() and patient_set_sms_consent()
# after the row is saved: the consent record (clinic.messaging.consent) is written by
# its receiver, in the same transaction.
sms_consent_changed = Signal()

BOOKED = "booked"
UPDATED = "updated"  # moved, or patient/provider/type/notes changed
STATUS_CHANGED = "status_changed"
CHANGES = (BOOKED, UPDATED, STATUS_CHANGED)
