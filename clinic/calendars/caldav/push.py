"""Pushing one appointment to one CalDAV connection: the body of the push job.

1. In a tenant transaction of the job's clinic: read the connection (nothing is done
   for a broken one), the appointment and what the calendar holds of it, and decide:
   write the event (booked, moved, changed, completed, no-show: PUT), delete it
   (cancelled, or now another provider's: DELETE), or nothing (never pushed and not
   wanted). Commit.
2. Outside any transaction: the HTTP request (client.py), with the decrypted password.
3. In a second tenant transaction: record the answer. A success stores the ETag; a
   refusal (wrong password, no such calendar) breaks the connection at once; a
   failure (no answer, a server error) counts towards breaking it and is retried
   with backoff (procrastinate) until then.

Cancelled appointments are deleted from the calendar rather than written as
STATUS:CANCELLED: the provider's calendar shows the time as free, as it is. The job
reads the appointment as it is when it runs, so a job that runs late, or twice,
writes the latest state: idempotent by UID."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from django.utils import timezone

from clinic.appointments.models import Appointment
from clinic.calendars import ics
from clinic.calendars.caldav import client, credentials
from clinic.calendars.caldav.push_record import caldav_push_failed, caldav_push_succeeded
from clinic.calendars.models import CalDAVConnection, CalDAVEvent, CalendarSettings
from tenancy.models import Organization

Step = Callable[[], AbstractContextManager]


class RetryLater(Exception):
    """The calendar server failed; the job is retried with backoff."""


@dataclass(frozen=True)
class Plan:
    url: str
    account: client.Account
    body: bytes | None  # None: delete the event
    etag: str
    exists: bool
    sequence: int


def push(connection_id, appointment_id, step: Step) -> None:
    with step():
        plan = _plan(connection_id, appointment_id)
    if plan is None:
        return
    if plan.body is None:
        answer = client.delete_event(plan.url, etag=plan.etag, account=plan.account)
    else:
        answer = client.put_event(plan.url, plan.body, etag=plan.etag, exists=plan.exists, account=plan.account)
    with step():
        retry = _record(connection_id, appointment_id, plan, answer)
    if retry:  # raised once the failure is committed
        raise RetryLater(f"CalDAV push of appointment {appointment_id} to connection {connection_id}: {answer.error}")


def _plan(connection_id, appointment_id) -> Plan | None:
    connection = CalDAVConnection.objects.working().filter(pk=connection_id).first()
    appointment = Appointment.objects.select_related("patient", "appointment_type").filter(pk=appointment_id).first()
    if connection is None or appointment is None:
        return None
    pushed = CalDAVEvent.objects.filter(connection=connection, appointment=appointment).first()
    wanted = appointment.provider_id == connection.provider_id and appointment.status != Appointment.Status.CANCELLED
    if not wanted and pushed is None:
        return None
    try:
        account = client.Account(connection.username, credentials.decrypt(connection.password_encrypted))
    except credentials.UnreadableCredentials:
        caldav_push_failed(
            connection_id=connection.pk,
            error="The stored password can no longer be read: reconnect the calendar.",
            broken=True,
        )
        return None
    body = None
    if wanted:
        clinic = Organization.objects.get(pk=connection.organization_id)
        privacy = connection.effective_privacy(CalendarSettings.current())
        body = ics.render_one(appointment=appointment, clinic=clinic, privacy=privacy)
    return Plan(
        url=client.resource_url(connection.url, ics.event_uid(appointment)),
        account=account,
        body=body,
        etag=pushed.etag if pushed else "",
        exists=pushed is not None,
        sequence=appointment.sequence,
    )


def _record(connection_id, appointment_id, plan: Plan, answer: client.Answer) -> bool:
    """Store the answer; True if the push should be tried again."""
    if answer.kind is client.Kind.DONE:
        etag = None if plan.body is None else answer.etag
        caldav_push_succeeded(
            connection_id=connection_id,
            appointment_id=appointment_id,
            etag=etag,
            sequence=plan.sequence,
            now=timezone.now(),
        )
        return False
    broken = caldav_push_failed(
        connection_id=connection_id, error=answer.error, broken=answer.kind is client.Kind.REFUSED
    )
    return answer.kind is client.Kind.FAILED and not broken
