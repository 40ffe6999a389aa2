"""The worker's CalDAV tasks (procrastinate). Each job runs as one clinic, named in
its payload by the server that deferred it (tenancy.jobs).

One push job per connection and appointment: a failing calendar retries on its own
and never holds up another. Its queueing lock keeps at most one waiting job per pair
(the job reads the appointment when it runs, so one is enough), and its lock runs
them one at a time, so two writes of one event never race."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from clinic.appointments.models import Appointment
from clinic.calendars import ics
from clinic.calendars.caldav import push
from clinic.calendars.models import PATIENT_DETAILS, CalDAVConnection, CalDAVEvent
from tenancy.jobs import defer_on_commit, tenant_task

QUEUE = "calendars"
MAX_ATTEMPTS = 6
# Seconds before attempt n + 1 are BACKOFF_BASE ** n: 5 s, 25 s, 2 min, 10 min, 52 min.
BACKOFF_BASE = 5
RETRY = RetryStrategy(max_attempts=MAX_ATTEMPTS, exponential_wait=BACKOFF_BASE, retry_exceptions={push.RetryLater})


# A write is at most three requests (a 412 reads the ETag and writes again).
REQUESTS_PER_PUSH = 3
# Beyond the requests' deadlines: the job's own transactions.
LEASE_MARGIN_SECONDS = 30


def push_lease() -> float:
    return REQUESTS_PER_PUSH * settings.CALDAV_TIMEOUT_SECONDS + LEASE_MARGIN_SECONDS


# At most JOBS_IN_FLIGHT_PER_CLINIC calendar jobs of a clinic (pushes and busy-calendar
# fetches, the "calendars" kind) run at once: a calendar server that never answers
# takes that many worker slots, not all of them (tenancy.job_slots).
@tenant_task(app, queue=QUEUE, retry=RETRY, per_step=True, in_flight=QUEUE, lease_seconds=push_lease)
def push_appointment(*, organization_id: str, connection_id: str, appointment_id: str, step) -> None:
    push.push(connection_id, appointment_id, step)


@tenant_task(app, queue=QUEUE)
def sync_connection(*, organization_id: str, connection_id: str) -> int:
    """After connecting or reconnecting: push every appointment of the provider in the
    feed's window (30 days back, 180 ahead), and what the calendar holds of others."""
    connection = CalDAVConnection.objects.working().filter(pk=connection_id).first()
    if connection is None:
        return 0
    starts, ends = ics.window(timezone.now())
    in_window = Appointment.objects.filter(
        provider_id=connection.provider_id, ends_at__gt=starts, starts_at__lt=ends
    ).exclude(status=Appointment.Status.CANCELLED)
    appointment_ids = set(in_window.values_list("id", flat=True))
    appointment_ids |= set(CalDAVEvent.objects.filter(connection=connection).values_list("appointment_id", flat=True))
    for appointment_id in sorted(appointment_ids):
        defer_push(connection.organization_id, connection.pk, appointment_id)
    return len(appointment_ids)


def defer_push(organization_id, connection_id, appointment_id) -> None:
    defer_on_commit(
        push_appointment,
        organization_id=organization_id,
        connection_id=str(connection_id),
        appointment_id=str(appointment_id),
        lock=f"caldav:{connection_id}:{appointment_id}",
        queueing_lock=f"caldav-push:{connection_id}:{appointment_id}",
    )


def defer_sync(connection: CalDAVConnection) -> None:
    defer_on_commit(
        sync_connection,
        organization_id=connection.organization_id,
        connection_id=str(connection.pk),
        queueing_lock=f"caldav-sync:{connection.pk}",
    )


def defer_pushes_for(appointment: Appointment) -> int:
    """Inside the change's transaction: one push per working connection of the
    appointment's provider, and per connection that holds it already (a provider
    change deletes it there). Returns how many."""
    connections = set(
        CalDAVConnection.objects.working().filter(provider_id=appointment.provider_id).values_list("id", flat=True)
    )
    connections |= set(
        CalDAVEvent.objects.filter(appointment=appointment, connection__status=CalDAVConnection.Status.OK).values_list(
            "connection_id", flat=True
        )
    )
    for connection_id in sorted(connections):
        defer_push(appointment.organization_id, connection_id, appointment.pk)
    return len(connections)


def defer_pushes_for_patient(patient) -> int:
    """Inside the patient's erasure: rewrite their events in every working connection
    whose events name patients (the others never showed them)."""
    events = CalDAVEvent.objects.filter(
        appointment__patient=patient,
        connection__status=CalDAVConnection.Status.OK,
        connection__privacy__in=PATIENT_DETAILS,
    ).values_list("connection_id", "appointment_id")
    pairs = sorted(set(events))
    for connection_id, appointment_id in pairs:
        defer_push(patient.organization_id, connection_id, appointment_id)
    return len(pairs)
