"""Calendar feeds, CalDAV connections and busy calendars."""

from django.db import models

from clinic.audit.actions import register


class AuditAction(models.TextChoices):
    FEED_CREATED = "feed_created", "Calendar feed created"
    FEED_REVOKED = "feed_revoked", "Calendar feed revoked"
    # A calendar feed showing patients' initials or names was fetched by its link.
    FEED_FETCHED = "feed_fetched", "Calendar feed fetched"
    CALDAV_CONNECTED = "caldav_connected", "CalDAV calendar connected"
    CALDAV_RECONNECTED = "caldav_reconnected", "CalDAV calendar reconnected"
    CALDAV_REMOVED = "caldav_removed", "CalDAV calendar removed"
    BUSY_CALENDAR_ADDED = "busy_added", "Busy calendar added"
    BUSY_CALENDAR_REMOVED = "busy_removed", "Busy calendar removed"


register("calendars", AuditAction)
