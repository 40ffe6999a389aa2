"""A provider's CalDAV calendar, and what the clinic has put in it. Both are tenant
tables (RLS, composite tenant foreign keys: migration calendars/0002).

The calendar's password is stored encrypted (clinic.calendars.caldav.credentials),
never shown again once saved and never part of a form, a log line or an error."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from clinic.calendars.models import PATIENT_DETAILS, CalendarSettings, Privacy
from tenancy.models import TenantManager, TenantModel, TenantQuerySet


class CalDAVConnectionQuerySet(TenantQuerySet):
    def working(self) -> CalDAVConnectionQuerySet:
        return self.filter(status=CalDAVConnection.Status.OK)

    def visible_to(self, membership) -> CalDAVConnectionQuerySet:
        """Owners and admins see every connection of the clinic; anyone else their own."""
        if membership.can_manage:
            return self
        return self.filter(created_by_id=membership.user_id)


class CalDAVConnection(TenantModel):
    """One calendar collection (`url`) the clinic writes one provider's appointments to."""

    class Status(models.TextChoices):
        OK = "ok", "Working"
        # Refused (wrong password, no such calendar) or failing too often: nothing is
        # pushed until someone reconnects it with a new password.
        BROKEN = "broken", "Broken"

    provider = models.ForeignKey(
        "appointments.Provider",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="caldav_connections",
    )
    url = models.URLField("calendar URL", max_length=500)
    username = models.CharField(max_length=200)
    # A Fernet token of the password (ASCII); see credentials.py.
    password_encrypted = models.TextField(editable=False)
    privacy = models.CharField(max_length=10, choices=Privacy.choices, default=Privacy.TYPE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OK, editable=False)
    # What went wrong last, in our own words: never a password or a server's body.
    last_error = models.CharField(max_length=300, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TenantManager.from_queryset(CalDAVConnectionQuerySet)()

    class Meta(TenantModel.Meta):
        verbose_name = "CalDAV connection"
        ordering = ["-created_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organization", "provider", "url"], name="calendars_caldavconnection_one_per_calendar"
            ),
        ]
        indexes = [models.Index(fields=["organization", "provider"], name="calendars_caldav_provider_idx")]

    def __str__(self) -> str:
        return f"CalDAV calendar of {self.provider.display_name}"

    @property
    def is_broken(self) -> bool:
        return self.status == self.Status.BROKEN

    def effective_privacy(self, clinic_settings: CalendarSettings) -> str:
        """The connection's level, capped at TYPE while the clinic forbids patient details."""
        if self.privacy in PATIENT_DETAILS and not clinic_settings.allow_patient_details:
            return Privacy.TYPE
        return self.privacy


class CalDAVEvent(TenantModel):
    """One appointment as it was last written to one connection's calendar: the ETag
    the server gave it (for If-Match on the next write) and the SEQUENCE sent. No row:
    the calendar does not hold the appointment (never pushed, or deleted)."""

    connection = models.ForeignKey(
        CalDAVConnection, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="events"
    )
    appointment = models.ForeignKey(
        "appointments.Appointment",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="caldav_events",
    )
    etag = models.CharField(max_length=200, blank=True)
    sequence = models.PositiveIntegerField(default=0)
    pushed_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = "CalDAV event"
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organization", "connection", "appointment"], name="calendars_caldavevent_one_per_calendar"
            ),
        ]
        indexes = [models.Index(fields=["organization", "appointment"], name="calendars_caldavev_appt_idx")]

    def __str__(self) -> str:
        return "CalDAV event"
