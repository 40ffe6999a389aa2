"""Writes to CalDAV connections: connecting, reconnecting (a new password clears a
broken connection), removing, the worker's record of each push, and re-encrypting
the passwords. Each runs in one transaction inside the clinic's tenant context."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from clinic.appointments.models import Provider
from clinic.audit.trail import Action, record
from clinic.calendars.caldav import credentials
from clinic.calendars.caldav.client import check_url
from clinic.calendars.models import PATIENT_DETAILS, CalDAVConnection, CalendarSettings, Privacy


@transaction.atomic
def caldav_connection_create(
    *, provider: Provider, url: str, username: str, password: str, privacy: str = Privacy.TYPE, created_by
) -> CalDAVConnection:
    """Connect a provider's calendar; the provider's appointments are pushed to it from now on,
    starting with those of the feed window (a job, once this commits)."""
    _refuse_patient_details_if_forbidden(privacy)
    url = check_url(url)
    if not password:
        raise ValidationError({"password": "Enter the calendar's (app) password."}, code="required")
    # The provider's row, locked: two people connecting the same calendar at once get
    # "connected already" for the second, not the unique constraint's error.
    Provider.objects.select_for_update().filter(pk=provider.pk).first()
    if CalDAVConnection.objects.filter(provider=provider, url=url).exists():
        raise ValidationError({"url": "This calendar is connected to this provider already."}, code="unique")
    connection = CalDAVConnection(
        provider=provider,
        url=url,
        username=username.strip(),
        password_encrypted=credentials.encrypt(password),
        privacy=privacy,
        created_by=created_by,
    )
    connection.claim_for_current_org()
    connection.full_clean()
    connection.save(force_insert=True)
    record(Action.CALDAV_CONNECTED, obj=connection)
    _sync_on_commit(connection)
    return connection


@transaction.atomic
def caldav_connection_reconnect(*, connection: CalDAVConnection, username: str, password: str) -> CalDAVConnection:
    """A new user name and password; a broken connection works again, and every
    appointment of its window is pushed again."""
    if not password:
        raise ValidationError({"password": "Enter the calendar's (app) password."}, code="required")
    connection.refresh_from_db(from_queryset=CalDAVConnection.objects.select_for_update())
    connection.username = username.strip()
    connection.password_encrypted = credentials.encrypt(password)
    connection.status = CalDAVConnection.Status.OK
    connection.consecutive_failures = 0
    connection.last_error = ""
    connection.full_clean()
    connection.save()
    record(Action.CALDAV_RECONNECTED, obj=connection)
    _sync_on_commit(connection)
    return connection


@transaction.atomic
def caldav_connection_delete(*, connection: CalDAVConnection) -> None:
    """Stop pushing to the calendar and forget its password. Events already in it stay."""
    record(Action.CALDAV_REMOVED, obj=connection)
    CalDAVConnection.objects.filter(pk=connection.pk).delete()


def _refuse_patient_details_if_forbidden(privacy: str) -> None:
    if privacy in PATIENT_DETAILS and not CalendarSettings.current().allow_patient_details:
        raise ValidationError(
            {"privacy": "This clinic does not allow calendars with patient details."}, code="forbidden"
        )


def _sync_on_commit(connection: CalDAVConnection) -> None:
    from clinic.calendars.caldav.tasks import defer_sync

    defer_sync(connection)


# --- Key rotation -----------------------------------------------------------------


@transaction.atomic
def caldav_credentials_rotate() -> tuple[int, int]:
    """Re-encrypt every password of the current clinic with the first key:
    (re-encrypted, unreadable). An unreadable one breaks its connection (reconnect it)."""
    rotated = unreadable = 0
    for connection in CalDAVConnection.objects.select_for_update().order_by("pk"):
        try:
            connection.password_encrypted = credentials.rotate(connection.password_encrypted)
        except credentials.UnreadableCredentials:
            unreadable += 1
            connection.status = CalDAVConnection.Status.BROKEN
            connection.last_error = "The stored password can no longer be read: reconnect the calendar."
            connection.save(update_fields=["status", "last_error"])
            continue
        connection.save(update_fields=["password_encrypted"])
        rotated += 1
    return rotated, unreadable
