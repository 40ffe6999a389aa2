"""What calls tell the rest of the product when a voicemail is complete.

Sent by the services (the one write path) inside the change's transaction, after the
row is saved, like clinic.appointments.signals: a receiver's writes commit or roll back
with the change. Integrators' webhook events are written by clinic.api's receivers."""

from __future__ import annotations

from django.dispatch import Signal

# Keyword arguments: voicemail. Sent once its audio is stored.
voicemail_received = Signal()
# Keyword arguments: voicemail. Sent once it has both its audio and its transcript
# (whichever came last).
voicemail_transcribed = Signal()
