"""CalDAV push against a real server (Radicale): a booking appears in the provider's
calendar, a move rewrites the same event with a higher SEQUENCE, a cancellation
deletes it; a wrong password breaks the connection and stops the pushes; a server
that keeps failing is retried, then broken; the clinic's privacy rule holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clinic.appointments import services
from clinic.appointments.models import Appointment
from clinic.calendars import ics
from clinic.calendars.caldav.services import caldav_connection_create, caldav_connection_reconnect
from clinic.calendars.models import CalDAVConnection, CalDAVEvent
from clinic.calendars.services import calendar_settings_update
from tenancy.context import tenant_context
from tests.support.caldav import USERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def calendar(radicale, request) -> str:
    """A new, empty calendar of Ada's for each test."""
    return radicale.make_calendar("ada", f"clinic-{request.node.name[-40:].replace('_', '-')}-{id(request)}")


def connect(people, url: str, *, password: str = USERS["ada"], privacy: str = "type", jobs=None, by=None):
    with tenant_context(org=people.org), jobs.capture(execute=True):
        connection = caldav_connection_create(
            provider=people.ada, url=url, username="ada", password=password, privacy=privacy, created_by=by
        )
    jobs.run()
    return connection


def book(people, jobs, *, days: int = 3, provider=None) -> Appointment:
    starts_at = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=days)
    with tenant_context(org=people.org), jobs.capture(execute=True):
        appointment = services.appointment_book(
            patient=people.jane,
            provider=provider or people.ada,
            appointment_type=people.checkup,
            starts_at=starts_at,
            booked_by=None,
        )
    jobs.run()
    return appointment


def event_of(radicale, calendar: str, appointment: Appointment):
    found = radicale.event(calendar, ics.event_uid(appointment), "ada")
    if found is None:
        return None
    (event,) = found.walk("VEVENT")
    return found, event


def fresh(connection: CalDAVConnection) -> CalDAVConnection:
    with tenant_context(org=connection.organization_id):
        return CalDAVConnection.objects.get(pk=connection.pk)


def test_a_booking_appears_in_the_providers_calendar(radicale, calendar, people_a, caldav_jobs, owner_a):
    connection = connect(people_a, calendar, jobs=caldav_jobs, by=owner_a)
    appointment = book(people_a, caldav_jobs)

    calendar_object, event = event_of(radicale, calendar, appointment)
    assert str(event["uid"]) == f"appointment-{appointment.pk}@clinic"
    assert str(event["summary"]) == "Check-up"  # "type and time": no patient
    assert event["sequence"] == 0
    assert event.decoded("dtstart") == appointment.starts_at
    assert event["dtstart"].params["TZID"] == "Europe/Berlin"
    assert [str(zone["tzid"]) for zone in calendar_object.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert "Jane" not in calendar_object.to_ical().decode()
    connection = fresh(connection)
    assert (connection.status, connection.consecutive_failures) == ("ok", 0)
    assert connection.last_success_at is not None
    with tenant_context(org=people_a.org):
        (pushed,) = CalDAVEvent.objects.all()
    assert pushed.etag and pushed.appointment_id == appointment.pk


def test_a_move_rewrites_the_same_event_with_a_higher_sequence(radicale, calendar, people_a, caldav_jobs):
    connect(people_a, calendar, jobs=caldav_jobs)
    appointment = book(people_a, caldav_jobs)
    new_start = appointment.starts_at + dt.timedelta(hours=2)
    with tenant_context(org=people_a.org), caldav_jobs.capture(execute=True):
        services.appointment_update(appointment=appointment, starts_at=new_start, changed_by=None)
    assert caldav_jobs.run() == 1

    _, event = event_of(radicale, calendar, appointment)
    assert event.decoded("dtstart") == new_start
    assert event["sequence"] == 1
    assert radicale.hrefs(calendar, "ada") == [f"appointment-{appointment.pk}%40clinic.ics"]


def test_a_change_of_notes_alone_pushes_nothing(calendar, people_a, caldav_jobs):
    connect(people_a, calendar, jobs=caldav_jobs)
    appointment = book(people_a, caldav_jobs)
    with tenant_context(org=people_a.org), caldav_jobs.capture(execute=True):
        services.appointment_update(appointment=appointment, notes="Bring the X-ray", changed_by=None)
    assert caldav_jobs.run() == 0


def test_a_cancellation_deletes_the_event_and_reinstating_writes_it_again(radicale, calendar, people_a, caldav_jobs):
    connect(people_a, calendar, jobs=caldav_jobs)
    appointment = book(people_a, caldav_jobs)
    with tenant_context(org=people_a.org), caldav_jobs.capture(execute=True):
        services.appointment_cancel(appointment=appointment, changed_by=None)
    caldav_jobs.run()
    assert event_of(radicale, calendar, appointment) is None
    assert radicale.hrefs(calendar, "ada") == []
    with tenant_context(org=people_a.org):
        assert CalDAVEvent.objects.count() == 0

    with tenant_context(org=people_a.org), caldav_jobs.capture(execute=True):
        services.appointment_set_status(appointment=appointment, status="scheduled", changed_by=None)
    caldav_jobs.run()
    _, event = event_of(radicale, calendar, appointment)
    assert event["sequence"] == 2


def test_giving_the_appointment_to_another_provider_removes_it_from_the_first(
    radicale, calendar, people_a, caldav_jobs
):
    connect(people_a, calendar, jobs=caldav_jobs)
    appointment = book(people_a, caldav_jobs)
    with tenant_context(org=people_a.org), caldav_jobs.capture(execute=True):
        services.appointment_update(appointment=appointment, provider=people_a.grace, changed_by=None)
    assert caldav_jobs.run() == 1
    assert event_of(radicale, calendar, appointment) is None


def test_connecting_pushes_the_providers_appointments_of_the_window(radicale, calendar, people_a, caldav_jobs):
    upcoming = book(people_a, caldav_jobs, days=5)
    far_away = book(people_a, caldav_jobs, days=400)
    graces = book(people_a, caldav_jobs, days=6, provider=people_a.grace)
    connect(people_a, calendar, jobs=caldav_jobs)
    assert radicale.hrefs(calendar, "ada") == [f"appointment-{upcoming.pk}%40clinic.ics"]
    assert far_away.pk != graces.pk


def test_an_event_changed_in_the_calendar_app_is_overwritten(radicale, calendar, people_a, caldav_jobs):
    connect(people_a, calendar, jobs=caldav_jobs)
    appointment = book(people_a, caldav_jobs)
    url = calendar + ics.event_uid(appointment) + ".ics"
    edited = radicale.get(url, "ada").content.replace(b"SUMMARY:Check-up", b"SUMMARY:Edited")
    import requests

    assert requests.put(url, data=edited, auth=("ada", USERS["ada"]), timeout=10).status_code in (201, 204)
    with tenant_context(org=people_a.org), caldav_jobs.capture(execute=True):
        services.appointment_update(
            appointment=appointment, ends_at=appointment.ends_at + dt.timedelta(minutes=15), changed_by=None
        )
    caldav_jobs.run()  # If-Match fails (412): read the new ETag, write again
    _, event = event_of(radicale, calendar, appointment)
    assert str(event["summary"]) == "Check-up" and event["sequence"] == 1


def test_a_wrong_password_breaks_the_connection_until_it_is_reconnected(radicale, calendar, people_a, caldav_jobs):
    connection = connect(people_a, calendar, password="not-the-password", jobs=caldav_jobs)
    appointment = book(people_a, caldav_jobs)

    connection = fresh(connection)
    assert connection.status == "broken" and connection.consecutive_failures == 1
    assert "HTTP 401" in connection.last_error and "not-the-password" not in connection.last_error
    assert caldav_jobs.retried == []  # refused: not retried
    assert event_of(radicale, calendar, appointment) is None
    book(people_a, caldav_jobs, days=4)
    assert caldav_jobs.waiting() == []  # a broken connection gets no more jobs

    with tenant_context(org=people_a.org), caldav_jobs.capture(execute=True):
        caldav_connection_reconnect(connection=connection, username="ada", password=USERS["ada"])
    caldav_jobs.run()
    connection = fresh(connection)
    assert (connection.status, connection.last_error, connection.consecutive_failures) == ("ok", "", 0)
    assert len(radicale.hrefs(calendar, "ada")) == 2  # both bookings, pushed on reconnecting


def test_a_server_that_keeps_failing_is_retried_then_broken(people_a, caldav_jobs, settings):
    settings.CALDAV_BROKEN_AFTER_FAILURES = 2
    settings.CALDAV_TIMEOUT_SECONDS = 1
    nowhere = "http://127.0.0.1:9/dav/ada/clinic/"  # the discard port: connection refused
    connection = connect(people_a, nowhere, jobs=caldav_jobs)
    book(people_a, caldav_jobs)
    assert len(caldav_jobs.retried) == 1  # procrastinate retries it after its backoff
    connection = fresh(connection)
    assert (connection.status, connection.consecutive_failures) == ("ok", 1)
    assert connection.last_error == "Could not connect to the calendar server."

    retry = caldav_jobs.retried.pop()
    with caldav_jobs.capture(execute=True):
        from procrastinate.contrib.django import app

        app.tasks[retry["task_name"]](**retry["args"])  # the second attempt breaks it: no RetryLater
    connection = fresh(connection)
    assert (connection.status, connection.consecutive_failures) == ("broken", 2)


def test_the_clinics_rule_on_patient_details_caps_the_events(radicale, calendar, people_a, caldav_jobs):
    connect(people_a, calendar, privacy="names", jobs=caldav_jobs)
    first = book(people_a, caldav_jobs)
    assert str(event_of(radicale, calendar, first)[1]["summary"]) == "Check-up · Jane Doe"
    with tenant_context(org=people_a.org):
        calendar_settings_update(allow_patient_details=False)
    second = book(people_a, caldav_jobs, days=4)
    assert str(event_of(radicale, calendar, second)[1]["summary"]) == "Check-up"


def test_another_clinics_booking_never_reaches_the_calendar(radicale, calendar, people_a, people_b, caldav_jobs):
    connect(people_a, calendar, jobs=caldav_jobs)
    book(people_b, caldav_jobs)
    assert caldav_jobs.waiting() == [] and radicale.hrefs(calendar, "ada") == []


def test_erasing_a_patient_rewrites_their_named_events_with_the_pseudonym(radicale, calendar, people_a, caldav_jobs):
    from clinic.data_rights.services import patient_erase

    connect(people_a, calendar, privacy="names", jobs=caldav_jobs)
    appointment = book(people_a, caldav_jobs)
    assert "Jane Doe" in str(event_of(radicale, calendar, appointment)[1]["summary"])
    with tenant_context(org=people_a.org), caldav_jobs.capture(execute=True):
        patient_erase(patient=people_a.jane)
    assert caldav_jobs.run() == 1
    summary = str(event_of(radicale, calendar, appointment)[1]["summary"])
    assert "Jane" not in summary and summary.startswith("Check-up · Erased patient")


def test_a_job_naming_another_clinic_cannot_reach_a_connection(radicale, calendar, people_a, org_b, caldav_jobs):
    from clinic.calendars.caldav.tasks import push_appointment

    connection = connect(people_a, calendar, jobs=caldav_jobs)
    appointment = book(people_a, caldav_jobs)
    with tenant_context(org=people_a.org), caldav_jobs.capture(execute=True):
        services.appointment_cancel(appointment=appointment, changed_by=None)
    # The same connection and appointment, as clinic B's job: RLS shows it neither.
    push_appointment(
        organization_id=str(org_b.id), connection_id=str(connection.pk), appointment_id=str(appointment.pk)
    )
    assert event_of(radicale, calendar, appointment) is not None  # not deleted by B's job
    caldav_jobs.run()
    assert event_of(radicale, calendar, appointment) is None  # clinic A's own job deletes it


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.7/dav/ada/clinic/",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.10:5232/ada/clinic/",
        "http://[::ffff:10.0.0.7]/dav/",
    ],
)
def test_a_calendar_on_a_private_address_is_never_called(people_a, caldav_jobs, url):
    connection = connect(people_a, url, jobs=caldav_jobs)
    book(people_a, caldav_jobs)
    connection = fresh(connection)
    assert connection.status == "broken"
    assert "private, loopback or reserved address" in connection.last_error
    assert caldav_jobs.retried == []


def test_loopback_is_refused_unless_allowed(radicale, calendar, people_a, caldav_jobs, settings):
    settings.CALENDAR_FETCH_ALLOW_LOOPBACK = False
    connection = connect(people_a, calendar, jobs=caldav_jobs)
    appointment = book(people_a, caldav_jobs)
    assert fresh(connection).status == "broken"
    assert event_of(radicale, calendar, appointment) is None
