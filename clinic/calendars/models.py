"""Calendar connections: private feeds a calendar app subscribes to, the clinic's
rule on how much of a patient they may show, and busy-time calendars (a provider's
outside calendar, fetched by the worker, whose busy times block booking). All are
tenant tables.

A feed's link carries a random token; only its sha256 (`token_hash`) is stored. The
pre-tenant lookup `calendars_clinic_for_feed(hash)` (migration 0001) maps that hash to
the clinic while the feed is not revoked, and says nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenancy.models import TenantManager, TenantModel, TenantQuerySet

FEED_TOKEN_CONSTRAINT = "calendars_calendarfeed_token_uniq"


class Privacy(models.TextChoices):
    """What a feed's events say, from least to most. The order matters: a clinic that
    forbids patient details caps every feed at TYPE."""

    BUSY = "busy", "Busy only"
    TYPE = "type", "Appointment type and time"
    INITIALS = "initials", "Type, time and patient initials"
    NAMES = "names", "Type, time and patient full names"

    @classmethod
    def rank(cls, value: str) -> int:
        return list(cls.values).index(value)


PATIENT_DETAILS = (Privacy.INITIALS, Privacy.NAMES)


class BusyConflicts(models.TextChoices):
    """What booking does when the provider is busy in one of their busy calendars."""

    REFUSE = "refuse", "Refuse the booking"
    WARN = "warn", "Book, and warn"


class CalendarSettings(TenantModel):
    """One per clinic, written by its owners and admins. No row: the defaults."""

    allow_patient_details = models.BooleanField(
        default=True,
        help_text="Let calendar feeds show patients' initials or full names.",
    )
    busy_conflicts = models.CharField(
        max_length=10,
        choices=BusyConflicts.choices,
        default=BusyConflicts.REFUSE,
        help_text="When a provider is busy in one of their busy calendars.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = "calendar settings"
        verbose_name_plural = "calendar settings"
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["organization"], name="calendars_calendarsettings_one_per_org"),
        ]

    def __str__(self) -> str:
        return "Calendar settings"

    @classmethod
    def current(cls) -> CalendarSettings:
        """The current clinic's settings, or the defaults (unsaved) if it has none."""
        return cls.objects.first() or cls()


class CalendarFeedQuerySet(TenantQuerySet):
    def active(self) -> CalendarFeedQuerySet:
        return self.filter(revoked_at__isnull=True)

    def visible_to(self, membership) -> CalendarFeedQuerySet:
        """Owners and admins see every feed of the clinic; anyone else their own."""
        if membership.can_manage:
            return self
        return self.filter(created_by_id=membership.user_id)


class CalendarFeed(TenantModel):
    """A private ICS feed of one provider's appointments, or the whole clinic's."""

    provider = models.ForeignKey(
        "appointments.Provider",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
        related_name="calendar_feeds",
        help_text="Empty: every provider of the clinic.",
    )
    privacy = models.CharField(max_length=10, choices=Privacy.choices, default=Privacy.TYPE)
    # sha256 of the token in the link (hex); the token itself is shown once.
    token_hash = models.CharField(max_length=64, editable=False)
    # As ApiKey.created_by: the database sets it to NULL when the user is deleted. A
    # feed works only while its creator is a member of the clinic (clinic.calendars.views).
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
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = TenantManager.from_queryset(CalendarFeedQuerySet)()

    class Meta(TenantModel.Meta):
        verbose_name = "calendar feed"
        ordering = ["-created_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            # Platform-wide on purpose (MarkPlatformUnique in the migration): the
            # pre-tenant lookup finds a clinic by the hash alone. The hash is of 32
            # random bytes, so uniqueness across clinics reveals nothing.
            models.UniqueConstraint(fields=["token_hash"], name=FEED_TOKEN_CONSTRAINT),
        ]
        indexes = [models.Index(fields=["organization", "created_at"], name="calendars_feed_org_created_idx")]

    def __str__(self) -> str:
        return f"Calendar feed: {self.scope_label}"

    @property
    def scope_label(self) -> str:
        return self.provider.display_name if self.provider_id else "Whole clinic"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def effective_privacy(self, clinic_settings: CalendarSettings) -> str:
        """The feed's level, capped at TYPE while the clinic forbids patient details."""
        if self.privacy in PATIENT_DETAILS and not clinic_settings.allow_patient_details:
            return Privacy.TYPE
        return self.privacy


class BusyCalendar(TenantModel):
    """A provider's outside calendar whose busy times block booking: an ICS link
    (Google, Outlook, iCloud…) or the provider's connected CalDAV calendar (exactly one
    of `url` and `caldav_connection`; the provider is then the connection's). The
    worker reads it (clinic.calendars.busy) and replaces its BusyIntervals each time.

    The URL often carries a secret token (a Google "secret address"), so it is treated
    like a credential: shown truncated (`url_display`), never logged, never in an error
    message or the audit trail."""

    class Status(models.TextChoices):
        PENDING = "pending", "Not fetched yet"
        OK = "ok", "Up to date"
        ERROR = "error", "Failing"

    provider = models.ForeignKey(
        "appointments.Provider",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="busy_calendars",
    )
    name = models.CharField(max_length=100)
    url = models.CharField(max_length=2000, blank=True)
    caldav_connection = models.ForeignKey(
        "calendars.CalDAVConnection",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
        related_name="busy_calendars",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, editable=False)
    last_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = "busy calendar"
        ordering = ["name", "created_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(
                condition=(models.Q(url="") & models.Q(caldav_connection__isnull=False))
                | (~models.Q(url="") & models.Q(caldav_connection__isnull=True)),
                name="calendars_busycalendar_one_source",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "provider"], name="calendars_busycal_org_prov"),
            models.Index(fields=["organization", "caldav_connection"], name="calendars_busycal_org_caldav"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def url_display(self) -> str:
        """Scheme and host only, and a hint that there is more: enough to recognise it.
        A CalDAV calendar's host (its URL is in the connection)."""
        if self.caldav_connection_id:
            return f"CalDAV: {urlsplit(self.caldav_connection.url).hostname or ''}"
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname or ''}/…"


class BusyInterval(TenantModel):
    """One busy time of a provider, from one of their busy calendars (an event, or one
    occurrence of a recurring one). Written only by replacing a calendar's set."""

    busy_calendar = models.ForeignKey(
        BusyCalendar, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="intervals"
    )
    # The calendar's provider, repeated so booking checks one index, not a join.
    provider = models.ForeignKey(
        "appointments.Provider", on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta(TenantModel.Meta):
        verbose_name = "busy interval"
        ordering = ["starts_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="calendars_busyinterval_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "provider", "starts_at", "ends_at"], name="calendars_busy_org_prov_time"
            ),
            models.Index(fields=["organization", "busy_calendar"], name="calendars_busy_org_cal"),
        ]

    def __str__(self) -> str:
        return f"Busy {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


# --- CalDAV: a provider's CalDAV calendar, and what the clinic has put in it ---------
# Both are tenant tables (RLS, composite tenant foreign keys: migration calendars/0002).
# The calendar's password is stored encrypted (clinic.calendars.caldav.credentials),
# never shown again once saved and never part of a form, a log line or an error.


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
