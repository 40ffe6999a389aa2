"""The clinic's lifecycle (clinic.lifecycle.services): the reason is on the clinic."""

from django.db import models

from clinic.audit.actions import register


class AuditAction(models.TextChoices):
    CLINIC_CREATED = "clinic_created", "Clinic created"
    CLINIC_SUSPENDED = "clinic_suspended", "Clinic suspended"
    CLINIC_REACTIVATED = "clinic_reactivated", "Clinic reactivated"
    CLINIC_CLOSED = "clinic_closed", "Clinic closed"
    CLINIC_ACTIVATED = "clinic_activated", "Trial ended: clinic active"


register("lifecycle", AuditAction)
