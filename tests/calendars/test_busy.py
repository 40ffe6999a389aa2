"""Busy-time import: a provider's outside calendar (ICS, served here by a local server)
blocks booking. A weekly busy block refuses an overlapping booking on the staff page and
through the API, naming the calendar; a clinic that warns books it with a warning; free,
cancelled and all-day events; the day view greys the busy times; another clinic's busy
calendars are a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages

from clinic.appointments.models import Appointment
from clinic.calendars import tasks
from clinic.calendars.models import BusyCalendar, BusyInterval, CalendarSettings
from clinic.calendars.services import busy_calendar_refresh, calendar_settings_update
from tenancy.context import tenant_context
from tests.support.busy import add_and_refresh, calendar, stamp, timed, vevent
from tests.support.people import login

pytestmark = pytest.mark.django_db

TOKEN = "private-s3cr3t-t0ken"


def next_monday(org, weeks: int = 1) -> dt.date:
    today = dt.datetime.now(org.zone).date()
    return today + dt.timedelta(days=7 * weeks - today.weekday())


def at(org, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=org.zone)


@pytest.fixture
def weekly(org_a, people_a, ics_server):
    """Dr Ada is busy every Monday 10:00-11:00 (Berlin), since two weeks ago."""
    first = next_monday(org_a, weeks=-1)
    event = timed(
        "rota",
        dt.datetime.combine(first, dt.time(10)),
        dt.datetime.combine(first, dt.time(11)),
        "RRULE:FREQ=WEEKLY;BYDAY=MO",
        "SUMMARY:Hospital rota",
    )
    url = ics_server.serve(f"/{TOKEN}/basic.ics", calendar(event))
    return add_and_refresh(org_a, people_a.ada, url, name="Hospital rota")


def busy_of(org) -> list[tuple[dt.datetime, dt.datetime]]:
    with tenant_context(org=org):
        return list(BusyInterval.objects.order_by("starts_at").values_list("starts_at", "ends_at"))


def form_data(people, day: dt.date, time: str) -> dict:
    return {
        "patient": people.jane.pk,
        "provider": people.ada.pk,
        "appointment_type": people.checkup.pk,
        "date": day.isoformat(),
        "start_time": time,
        "end_time": "",
        "notes": "",
        "save": "1",
    }


def test_a_weekly_event_is_expanded_over_the_booking_window(org_a, weekly):
    assert weekly.status == BusyCalendar.Status.OK and weekly.last_error == ""
    spans = busy_of(org_a)
    assert 25 <= len(spans) <= 30  # about 30 days back (not before the first) to 180 ahead
    monday = next_monday(org_a)
    assert (at(org_a, monday, 10), at(org_a, monday, 11)) in spans
    assert all(start.astimezone(org_a.zone).hour == 10 for start, _ in spans)  # across DST changes too


def test_the_staff_page_refuses_a_busy_time_naming_the_calendar(client, staff_a, org_a, people_a, weekly):
    login(client, staff_a, org_a)
    monday = next_monday(org_a)
    response = client.post("/appointments/new/", form_data(people_a, monday, "10:15"))
    assert response.status_code == 200
    assert response.context["form"].errors["__all__"] == [
        "Dr Ada Lovelace is busy in Hospital rota at 10:00–11:00 (Europe/Berlin)"
    ]
    with tenant_context(org=org_a):
        assert not Appointment.objects.exists()
    assert client.post("/appointments/new/", form_data(people_a, monday, "11:00")).status_code == 302


def test_the_api_refuses_a_busy_time_with_409(api_a, org_a, people_a, weekly):
    starts = at(org_a, next_monday(org_a, weeks=2), 9, 45)
    payload = {
        "patient": str(people_a.jane.pk),
        "provider": str(people_a.ada.pk),
        "appointment_type": str(people_a.checkup.pk),
        "starts_at": starts.isoformat(),
    }
    response = api_a.post("appointments/", payload)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "slot_conflict" and error["conflict_with"] == "busy_calendar"
    assert "busy in Hospital rota" in error["message"]
    assert api_a.post("appointments/", {**payload, "provider": str(people_a.grace.pk)}).status_code == 201


def test_moving_an_appointment_into_a_busy_time_is_refused(api_a, org_a, people_a, weekly):
    from clinic.appointments.errors import SlotConflict
    from clinic.appointments.services import appointment_book, appointment_update

    monday = next_monday(org_a)
    with tenant_context(org=org_a):
        appointment = appointment_book(
            patient=people_a.jane,
            provider=people_a.ada,
            appointment_type=people_a.checkup,
            starts_at=at(org_a, monday, 9),
            booked_by=None,
        )
        with pytest.raises(SlotConflict, match="busy in Hospital rota"):
            appointment_update(appointment=appointment, changed_by=None, starts_at=at(org_a, monday, 10, 30))


def test_a_clinic_that_warns_books_and_shows_the_warning(client, owner_a, org_a, people_a, weekly):
    login(client, owner_a, org_a)
    response = client.post("/calendars/settings/", {"allow_patient_details": "on", "busy_conflicts": "warn"})
    assert response.status_code == 302
    with tenant_context(org=org_a):
        assert CalendarSettings.current().busy_conflicts == "warn"
    monday = next_monday(org_a)
    response = client.post("/appointments/new/", form_data(people_a, monday, "10:15"))
    assert response.status_code == 302
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert warnings == [
        "Dr Ada Lovelace is busy in Hospital rota at 10:00–11:00 (Europe/Berlin); "
        "booked anyway, as this clinic's calendar settings allow."
    ]
    with tenant_context(org=org_a):
        assert Appointment.objects.count() == 1


def test_only_owners_and_admins_change_the_rule(client, staff_a, org_a):
    login(client, staff_a, org_a)
    assert client.post("/calendars/settings/", {"busy_conflicts": "warn"}).status_code == 404
    with tenant_context(org=org_a):
        assert CalendarSettings.current().busy_conflicts == "refuse"


def test_free_and_cancelled_events_do_not_block_and_all_day_ones_block_the_local_day(
    org_a,
    people_a,
    ics_server,
):
    day = next_monday(org_a)
    ten, eleven = dt.datetime.combine(day, dt.time(10)), dt.datetime.combine(day, dt.time(11))
    body = calendar(
        timed("free", ten, eleven, "TRANSP:TRANSPARENT"),
        timed("cancelled", ten, eleven, "STATUS:CANCELLED"),
        vevent("holiday", f"DTSTART;VALUE=DATE:{stamp(day + dt.timedelta(days=1))}"),
        vevent("utc", f"DTSTART:{stamp(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))}", "DURATION:PT1H"),  # long past
    )
    add_and_refresh(org_a, people_a.ada, ics_server.serve("/cal.ics", body))
    tuesday = day + dt.timedelta(days=1)
    assert busy_of(org_a) == [(at(org_a, tuesday, 0), at(org_a, tuesday + dt.timedelta(days=1), 0))]


def test_an_event_across_a_daylight_saving_change_keeps_its_real_length(org_a):
    from zoneinfo import ZoneInfo

    from clinic.calendars.busy import busy_spans

    berlin = ZoneInfo("Europe/Berlin")
    body = calendar(
        # 01:00 to 04:00 local on the night the clocks go forward: two hours, not three.
        timed("night", dt.datetime(2026, 3, 29, 1), dt.datetime(2026, 3, 29, 4)),
        # Weekly at 09:00 local: 08:00 UTC before the change, 07:00 after.
        timed("weekly", dt.datetime(2026, 3, 23, 9), dt.datetime(2026, 3, 23, 10), "RRULE:FREQ=WEEKLY;COUNT=2"),
    )
    spans = busy_spans(body.encode(), zone=berlin, now=dt.datetime(2026, 3, 20, tzinfo=dt.UTC))
    utc = [(start.astimezone(dt.UTC), end.astimezone(dt.UTC)) for start, end in spans]
    utc = [(start.replace(tzinfo=None), end - start) for start, end in utc]
    assert utc == [
        (dt.datetime(2026, 3, 23, 8), dt.timedelta(hours=1)),
        (dt.datetime(2026, 3, 29, 0), dt.timedelta(hours=2)),
        (dt.datetime(2026, 3, 30, 7), dt.timedelta(hours=1)),
    ]


def test_a_refresh_replaces_the_calendars_busy_times(org_a, people_a, ics_server):
    day = next_monday(org_a)
    one = timed("a", dt.datetime.combine(day, dt.time(8)), dt.datetime.combine(day, dt.time(9)))
    two = timed("b", dt.datetime.combine(day, dt.time(14)), dt.datetime.combine(day, dt.time(15)))
    url = ics_server.serve("/cal.ics", calendar(one))
    busy = add_and_refresh(org_a, people_a.ada, url)
    ics_server.serve("/cal.ics", calendar(two))
    with tenant_context(org=org_a):
        busy_calendar_refresh(busy_calendar=busy)
    assert busy_of(org_a) == [(at(org_a, day, 14), at(org_a, day, 15))]


def test_not_a_calendar_is_a_clear_error(org_a, people_a, ics_server):
    busy = add_and_refresh(org_a, people_a.ada, ics_server.serve("/page.html", "<html>Sign in</html>"))
    assert busy.status == BusyCalendar.Status.ERROR
    assert busy.last_error == "The address did not give a valid iCalendar (.ics) file."


def test_the_worker_job_fetches_and_stores(org_a, people_a, ics_server):
    day = next_monday(org_a)
    url = ics_server.serve(
        "/cal.ics", calendar(timed("a", dt.datetime.combine(day, dt.time(8)), dt.datetime.combine(day, dt.time(9))))
    )
    with tenant_context(org=org_a):
        from clinic.calendars.services import busy_calendar_add

        busy = busy_calendar_add(provider=people_a.ada, name="Private", url=url)
    assert tasks.refresh_busy_calendar(organization_id=str(org_a.pk), busy_calendar_id=str(busy.pk)) == "ok"
    assert busy_of(org_a) == [(at(org_a, day, 8), at(org_a, day, 9))]


def test_the_day_view_greys_the_busy_times(client, staff_a, org_a, weekly):
    login(client, staff_a, org_a)
    page = client.get(f"/?date={next_monday(org_a).isoformat()}").content.decode()
    assert page.count('data-testid="busy-interval"') == 1
    assert "Busy · Hospital rota" in page and "10:00–11:00" in page
    assert 'class="day-grid__busy gr-' in page and "style=" not in page.split("<main", 1)[-1]
    other_day = next_monday(org_a) + dt.timedelta(days=1)
    assert 'data-testid="busy-interval"' not in client.get(f"/?date={other_day.isoformat()}").content.decode()


def test_the_page_lists_calendars_with_their_address_shortened(client, staff_a, org_a, weekly):
    login(client, staff_a, org_a)
    page = client.get("/calendars/").content.decode()
    assert "Hospital rota" in page and "http://127.0.0.1/…" in page
    assert TOKEN not in page


def test_a_member_adds_and_removes_a_busy_calendar(client, staff_a, org_a, people_a, ics_server):
    login(client, staff_a, org_a)
    url = ics_server.serve("/cal.ics", calendar())
    response = client.post("/calendars/busy/new/", {"provider": str(people_a.ada.pk), "name": "Private", "url": url})
    assert response.status_code == 302
    with tenant_context(org=org_a):
        (busy,) = BusyCalendar.objects.all()
    assert (busy.provider_id, busy.name, busy.url, busy.status) == (people_a.ada.pk, "Private", url, "pending")
    refused = client.post("/calendars/busy/new/", {"provider": str(people_a.ada.pk), "name": "X", "url": "ftp://x/y"})
    assert refused.status_code == 400
    assert refused.context["busy_form"].errors["url"] == ["Only http:// and https:// addresses can be fetched."]
    assert client.post(f"/calendars/busy/{busy.pk}/remove/").status_code == 302
    with tenant_context(org=org_a):
        assert not BusyCalendar.objects.exists()


def test_another_clinic_cannot_see_refresh_or_remove_it(client, owner_b, org_b, org_a, weekly):
    login(client, owner_b, org_b)
    assert "Hospital rota" not in client.get("/calendars/").content.decode()
    assert client.post(f"/calendars/busy/{weekly.pk}/remove/").status_code == 404
    assert client.post(f"/calendars/busy/{weekly.pk}/refresh/").status_code == 404
    with tenant_context(org=org_a):
        assert BusyCalendar.objects.filter(pk=weekly.pk).exists()
    with tenant_context(org=org_b):
        assert not BusyInterval.objects.exists()


def test_another_clinics_provider_cannot_be_chosen(client, staff_a, org_a, people_b, ics_server):
    login(client, staff_a, org_a)
    url = ics_server.serve("/cal.ics", calendar())
    response = client.post("/calendars/busy/new/", {"provider": str(people_b.ada.pk), "name": "X", "url": url})
    assert response.status_code == 400 and "provider" in response.context["busy_form"].errors


def test_the_tick_learns_clinic_ids_only(org_a, org_b, weekly):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT calendars_busy_clinics()")
        assert [row[0] for row in cursor.fetchall()] == [org_a.pk]


def test_the_clinic_setting_changes_through_the_service(org_a):
    with tenant_context(org=org_a):
        calendar_settings_update(allow_patient_details=True, busy_conflicts="warn")
        assert CalendarSettings.current().busy_conflicts == "warn"
        calendar_settings_update(allow_patient_details=False)
        assert CalendarSettings.current().busy_conflicts == "warn"


@pytest.mark.parametrize("column", ["provider_id", "busy_calendar_id"])
def test_a_busy_time_cannot_point_at_another_clinics_rows(org_a, org_b, column):
    from django.db import IntegrityError, connection, transaction

    from tests.support import factories

    with tenant_context(org=org_a):
        mine = factories.busy_interval()
    with tenant_context(org=org_b):
        theirs = factories.busy_interval()
    target = theirs.provider_id if column == "provider_id" else theirs.busy_calendar_id
    with tenant_context(org=org_a), connection.cursor() as cursor:
        with pytest.raises(IntegrityError, match="foreign key"), transaction.atomic():
            cursor.execute(f"UPDATE calendars_busyinterval SET {column} = %s WHERE id = %s", [target, mine.pk])  # noqa: S608
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the tenant keys are checked at commit otherwise


def test_a_webcal_address_is_read_as_https(org_a, people_a):
    from clinic.calendars.services import busy_calendar_add

    with tenant_context(org=org_a):
        busy = busy_calendar_add(
            provider=people_a.ada, name="iCloud", url=" webcal://p01-caldav.icloud.com/published/2/x "
        )
    assert busy.url == "https://p01-caldav.icloud.com/published/2/x"


def test_reinstating_a_cancelled_appointment_into_a_busy_time_is_refused(org_a, people_a, ics_server):
    from clinic.appointments.errors import SlotConflict
    from clinic.appointments.services import appointment_book, appointment_cancel, appointment_set_status

    day = next_monday(org_a)
    with tenant_context(org=org_a):
        appointment = appointment_book(
            patient=people_a.jane,
            provider=people_a.ada,
            appointment_type=people_a.checkup,
            starts_at=at(org_a, day, 10),
            booked_by=None,
        )
        appointment_cancel(appointment=appointment, changed_by=None)
    url = ics_server.serve(
        "/cal.ics", calendar(timed("a", dt.datetime.combine(day, dt.time(9)), dt.datetime.combine(day, dt.time(12))))
    )
    add_and_refresh(org_a, people_a.ada, url, name="Surgery")
    with tenant_context(org=org_a), pytest.raises(SlotConflict, match="busy in Surgery"):
        appointment_set_status(appointment=appointment, status="scheduled", changed_by=None)


def test_adding_and_removing_a_busy_calendar_is_audited_without_its_address(org_a, people_a):
    from clinic.audit.models import AuditEvent
    from clinic.calendars.services import busy_calendar_add, busy_calendar_remove

    secret = "https://calendar.example.org/private-5f3a9c/basic.ics"
    with tenant_context(org=org_a):
        busy = busy_calendar_add(provider=people_a.ada, name="Private", url=secret)
        busy_calendar_remove(busy_calendar=busy)
        events = list(AuditEvent.objects.filter(object_id=busy.pk).order_by("at"))
    assert [event.action for event in events] == ["busy_added", "busy_removed"]
    assert all(event.object_type == "calendars.BusyCalendar" for event in events)
    assert all("private-5f3a9c" not in str(vars(event)) for event in events)
