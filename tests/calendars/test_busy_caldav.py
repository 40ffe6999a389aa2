"""Busy times read from the provider's connected CalDAV calendar (a real Radicale): a
weekly busy block refuses an overlapping booking naming the calendar, a free event does
not block, and the appointments the clinic pushed there are not busy times (a booking
would otherwise block itself, and a move conflict with its own old time); a refused
password is the calendar's error, without the password; another clinic's connection
cannot be chosen."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import requests
from icalendar import Calendar, Event

from clinic.appointments import services
from clinic.appointments.errors import SlotConflict
from clinic.calendars.caldav.push_record import caldav_push_failed
from clinic.calendars.caldav.services import caldav_connection_create
from clinic.calendars.models import BusyCalendar, BusyInterval, CalDAVConnection
from clinic.calendars.services import busy_calendar_add
from tenancy.context import tenant_context
from tests.support.caldav import USERS
from tests.support.people import login

pytestmark = pytest.mark.django_db

WRONG_PASSWORD = "not-adas-password-4711"


@pytest.fixture
def calendar(radicale, request) -> str:
    """A new, empty calendar of Ada's for each test."""
    return radicale.make_calendar("ada", f"busy-{request.node.name[-40:].replace('_', '-')}-{id(request)}")


def next_monday(org, weeks: int = 1) -> dt.date:
    today = dt.datetime.now(org.zone).date()
    return today + dt.timedelta(days=7 * weeks - today.weekday())


def at(org, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=org.zone)


def put_event(url: str, uid: str, starts: dt.datetime, ends: dt.datetime, **properties) -> None:
    """Write an event into the calendar as a calendar app would (with its VTIMEZONE)."""
    ical = Calendar()
    ical.add("prodid", "-//Test//Busy//EN")
    ical.add("version", "2.0")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    event.add("dtstart", starts)
    event.add("dtend", ends)
    for name, value in properties.items():
        event.add(name, value)
    ical.add_component(event)
    ical.add_missing_timezones()
    response = requests.put(
        f"{url}{uid}.ics",
        data=ical.to_ical(),
        headers={"Content-Type": "text/calendar; charset=utf-8"},
        auth=("ada", USERS["ada"]),
        timeout=10,
    )
    assert response.status_code == 201, response.text


def connect(people, url: str, jobs, *, password: str = USERS["ada"], by=None) -> CalDAVConnection:
    with tenant_context(org=people.org), jobs.capture(execute=True):
        connection = caldav_connection_create(
            provider=people.ada, url=url, username="ada", password=password, created_by=by
        )
    jobs.run()
    return connection


def add_busy(people, connection: CalDAVConnection, jobs, name: str = "Rota") -> BusyCalendar:
    """Add the busy calendar and run the refresh job it defers, as the worker would."""
    with tenant_context(org=people.org), jobs.capture(execute=True):
        busy = busy_calendar_add(name=name, caldav_connection=connection)
    jobs.run()
    with tenant_context(org=people.org):
        return BusyCalendar.objects.select_related("caldav_connection").get(pk=busy.pk)


def book(people, jobs, starts_at: dt.datetime):
    with tenant_context(org=people.org), jobs.capture(execute=True):
        appointment = services.appointment_book(
            patient=people.jane,
            provider=people.ada,
            appointment_type=people.checkup,
            starts_at=starts_at,
            booked_by=None,
        )
    jobs.run()
    return appointment


def busy_of(org) -> list[tuple[dt.datetime, dt.datetime]]:
    with tenant_context(org=org):
        return list(BusyInterval.objects.order_by("starts_at").values_list("starts_at", "ends_at"))


def test_the_connected_calendar_blocks_booking_but_not_the_clinics_own_events(
    radicale, calendar, org_a, people_a, caldav_jobs
):
    first, monday, tuesday = next_monday(org_a, weeks=-1), next_monday(org_a), next_monday(org_a) + dt.timedelta(1)
    put_event(calendar, "rota", at(org_a, first, 10), at(org_a, first, 11), rrule={"FREQ": "WEEKLY"})
    put_event(calendar, "lunch", at(org_a, tuesday, 12), at(org_a, tuesday, 13), transp="TRANSPARENT")
    connection = connect(people_a, calendar, caldav_jobs)
    appointment = book(people_a, caldav_jobs, at(org_a, tuesday, 9))
    assert f"appointment-{appointment.pk}%40clinic.ics" in radicale.hrefs(calendar, "ada")  # pushed there

    busy = add_busy(people_a, connection, caldav_jobs)

    assert (busy.status, busy.last_error, busy.provider_id) == ("ok", "", people_a.ada.pk)
    spans = busy_of(org_a)
    assert 25 <= len(spans) <= 30  # the weekly block over the window, nothing else
    assert (at(org_a, monday, 10), at(org_a, monday, 11)) in spans
    assert all(start.astimezone(org_a.zone).hour == 10 for start, _ in spans)
    with tenant_context(org=org_a):
        with pytest.raises(SlotConflict, match="busy in Rota at 10:00–11:00"):
            services.appointment_book(
                patient=people_a.jane,
                provider=people_a.ada,
                appointment_type=people_a.checkup,
                starts_at=at(org_a, monday, 10, 30),
                booked_by=None,
            )
        # The free lunch does not block; moving the pushed appointment half an hour
        # overlaps only its own old copy in the calendar.
        services.appointment_book(
            patient=people_a.jane,
            provider=people_a.ada,
            appointment_type=people_a.checkup,
            starts_at=at(org_a, tuesday, 12),
            booked_by=None,
        )
        services.appointment_update(appointment=appointment, starts_at=at(org_a, tuesday, 9, 15), changed_by=None)


def test_a_refused_password_is_the_busy_calendars_error(calendar, org_a, people_a, caldav_jobs):
    connection = connect(people_a, calendar, caldav_jobs, password=WRONG_PASSWORD)

    busy = add_busy(people_a, connection, caldav_jobs)

    assert busy.status == "error"
    assert "refused the user name or password" in busy.last_error
    assert WRONG_PASSWORD not in busy.last_error and "ada" not in busy.last_error
    assert busy_of(org_a) == []


def test_a_broken_connection_shows_its_problem(client, calendar, org_a, people_a, staff_a, caldav_jobs):
    connection = connect(people_a, calendar, caldav_jobs, by=staff_a)
    with tenant_context(org=org_a):
        caldav_push_failed(connection_id=connection.pk, error="HTTP 401: refused", broken=True)

    busy = add_busy(people_a, connection, caldav_jobs)

    assert busy.status == "error"
    assert busy.last_error == "The CalDAV connection is broken (HTTP 401: refused); reconnect it."
    login(client, staff_a, org_a)
    page = client.get("/calendars/").content.decode()
    assert "CalDAV: 127.0.0.1" in page and "The CalDAV connection is broken" in page


def test_a_member_adds_the_connected_calendar_on_the_page(client, calendar, org_a, people_a, staff_a, caldav_jobs):
    connection = connect(people_a, calendar, caldav_jobs, by=staff_a)
    login(client, staff_a, org_a)
    assert "The connected CalDAV calendar of Dr Ada Lovelace (127.0.0.1)" in client.get("/calendars/").content.decode()

    data = {"provider": str(people_a.grace.pk), "name": "Rota", "caldav_connection": str(connection.pk), "url": ""}
    with caldav_jobs.capture(execute=True):
        assert client.post("/calendars/busy/new/", data).status_code == 302
    with tenant_context(org=org_a):
        (busy,) = BusyCalendar.objects.all()
    assert (busy.caldav_connection_id, busy.provider_id, busy.url) == (connection.pk, people_a.ada.pk, "")

    response = client.post("/calendars/busy/new/", {**data, "caldav_connection": ""})
    assert response.status_code == 400
    assert "Enter the calendar&#x27;s ICS address, or choose a connected CalDAV calendar." in response.content.decode()


def test_it_refuses_other_clinics_connection(client, calendar, org_a, org_b, owner_b, people_a, people_b, caldav_jobs):
    connection = connect(people_a, calendar, caldav_jobs)
    login(client, owner_b, org_b)
    data = {"provider": str(people_b.ada.pk), "name": "Rota", "caldav_connection": str(connection.pk), "url": ""}

    response = client.post("/calendars/busy/new/", data)

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    for org in (org_a, org_b):
        with tenant_context(org=org):
            assert not BusyCalendar.objects.exists()
    with tenant_context(org=org_b), pytest.raises(CalDAVConnection.DoesNotExist):
        CalDAVConnection.objects.get(pk=connection.pk)


def test_removing_the_connection_removes_its_busy_calendar(calendar, org_a, people_a, caldav_jobs):
    from clinic.calendars.caldav.services import caldav_connection_delete

    put_event(calendar, "once", at(org_a, next_monday(org_a), 8), at(org_a, next_monday(org_a), 9))
    connection = connect(people_a, calendar, caldav_jobs)
    add_busy(people_a, connection, caldav_jobs)
    assert len(busy_of(org_a)) == 1
    with tenant_context(org=org_a), caldav_jobs.capture(execute=True):
        caldav_connection_delete(connection=connection)
    with tenant_context(org=org_a):
        assert not BusyCalendar.objects.exists()
    assert busy_of(org_a) == []


def test_a_multistatus_with_a_document_type_or_entity_is_refused():
    from clinic.calendars.caldav.client import calendar_data

    entity = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d:multistatus xmlns:d="DAV:">&a;</d:multistatus>'
    for body in (entity, b"<html>not xml", b'<x xmlns="DAV:"/>'):
        with pytest.raises(ValueError, match="not a CalDAV multistatus"):
            calendar_data(body)
    ok = (
        b'<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response><d:propstat><d:prop>'
        b"<c:calendar-data>BEGIN:VCALENDAR\r\nEND:VCALENDAR</c:calendar-data></d:prop></d:propstat></d:response>"
        b"</d:multistatus>"
    )
    assert calendar_data(ok) == [b"BEGIN:VCALENDAR\nEND:VCALENDAR"]


def test_an_answer_over_the_size_limit_is_refused(settings, calendar, org_a, people_a, caldav_jobs):
    settings.CALENDAR_FETCH_MAX_BYTES = 1024
    day = next_monday(org_a)
    put_event(calendar, "long", at(org_a, day, 8), at(org_a, day, 9), description="x" * 2000)
    connection = connect(people_a, calendar, caldav_jobs)

    busy = add_busy(people_a, connection, caldav_jobs)

    assert (busy.status, busy.last_error) == ("error", "The calendar server's answer is larger than 1 KB.")


def test_another_clinics_pushed_appointment_is_busy_time(radicale, calendar, org_a, people_a, caldav_jobs):
    # The provider works at another clinic of the platform too, which pushes its
    # bookings to the same calendar: those are busy here, this clinic's own are not.
    wednesday = next_monday(org_a) + dt.timedelta(2)
    elsewhere = uuid.uuid4()
    put_event(calendar, f"appointment-{elsewhere}@clinic", at(org_a, wednesday, 14), at(org_a, wednesday, 15))
    connection = connect(people_a, calendar, caldav_jobs)
    ours = book(people_a, caldav_jobs, at(org_a, wednesday, 9))

    add_busy(people_a, connection, caldav_jobs)

    spans = busy_of(org_a)
    assert (at(org_a, wednesday, 14), at(org_a, wednesday, 15)) in spans
    assert not any(start == ours.starts_at for start, _ in spans)
