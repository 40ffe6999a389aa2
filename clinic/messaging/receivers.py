"""Keeps each appointment's confirmation requests in step with the schedule; the
services send `appointment_changed` inside the change's transaction."""

from __future__ import annotations

from django.dispatch import receiver

from clinic.appointments import signals
from clinic.lifecycle import signals as lifecycle_signals
from tenancy.jobs import defer_on_commit


@receiver(signals.appointment_changed, dispatch_uid="messaging.plan_requests")
def plan_requests(sender, *, appointment, change: str, **details) -> None:
    from clinic.messaging.scheduling import plan_confirmation_requests

    plan_confirmation_requests(appointment)


@receiver(signals.patient_changed, dispatch_uid="messaging.replan_patient")
def replan_patient(sender, *, patient, changed_fields, **details) -> None:
    """A new number or time zone may move the patient's quiet hours."""
    from clinic.messaging.scheduling import plan_patient_requests

    if {"phone", "timezone"} & set(changed_fields):
        plan_patient_requests(patient)


@receiver(signals.sms_consent_changed, dispatch_uid="messaging.consent_record")
def record_consent(sender, *, patient, consented: bool, source: str | None, note: str, **details) -> None:
    """Every change of a patient's consent leaves a consent record (the compliance log)."""
    from clinic.messaging.consent import consent_record_write

    consent_record_write(patient=patient, consented=consented, source=source, note=note)


@receiver(lifecycle_signals.clinic_reactivated, dispatch_uid="messaging.resume")
def resume_texts(sender, *, organization_id, **details) -> None:
    """The texts the worker held while the clinic was suspended go out now."""
    from clinic.messaging import tasks
    from clinic.messaging.models import SmsMessage

    defer_on_commit(tasks.dispatch_clinic, organization_id=organization_id)
    for message in SmsMessage.objects.filter(status=SmsMessage.Status.QUEUED).only("id", "organization_id"):
        tasks.defer_delivery(message)
