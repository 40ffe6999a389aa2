"""What any app does to a record, and a patient's data rights (clinic.data_rights)."""

from django.db import models

from clinic.audit.actions import register


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    VIEW_DENIED = "view_denied", "Asked for a record of no such id"
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
    EXPORT = "export", "Exported"
    ERASE = "erase", "Erased"


register("audit", AuditAction)
