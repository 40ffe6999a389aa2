"""The day schedule at `/`: one clinic's day in its own time zone, date navigation,
and the status buttons, which follow the front-desk rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages

from clinic.appointments.models import Appointment, Provider
from clinic.appointments.services import appointment_book, appointment_set_status
from clinic.core.timezones import localize
from clinic.staff.views.day_grid import assign_lanes, build_day_grid
from tenancy.context import tenant_context
from tests.support.people import login

DAY = dt.date(2030, 3, 4)  # a Monday, in the future: nothing has started yet
PAST_DAY = dt.date(2021, 3, 4)


def book(people, *, patient=None, provider=None, day=DAY, time="09:00", status=None) -> Appointment:
    org = people.org
    with tenant_context(org=org):
        appointment = appointment_book(
            patient=patient or people.jane,
            provider=provider or people.ada,
            appointment_type=people.checkup,
            starts_at=localize(day, dt.time.fromisoformat(time), org.zone),
            booked_by=None,
        )
        if status:
            appointment_set_status(appointment=appointment, status=status, changed_by=None)
        return appointment


def status_of(appointment: Appointment) -> str:
    with tenant_context(org=appointment.organization_id):
        return Appointment.objects.get(pk=appointment.pk).status


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def as_staff(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    return client


def day_page(client, day: dt.date = DAY) -> str:
    response = client.get(f"/?date={day.isoformat()}")
    assert response.status_code == 200
    return response.content.decode()


# --- the day ------------------------------------------------------------------------


def test_it_shows_each_active_provider_and_the_days_appointments(as_staff, people_a):
    book(people_a, time="09:00")
    book(people_a, patient=people_a.john, provider=people_a.grace, time="10:15")
    body = day_page(as_staff)
    assert "Monday 4 March 2030" in body
    assert "Dr Ada Lovelace" in body and "Dr Grace Hopper" in body
    assert "09:00–09:30" in body and "Jane Doe" in body
    assert "10:15–10:45" in body and "John Roe" in body
    assert "Check-up" in body and ">Scheduled<" in body
    assert "2 appointments · times in Europe/Berlin" in body


def test_times_are_the_clinics_local_times(client, org_b, owner_b, people_b):
    book(people_b, time="09:00")  # 14:00 UTC
    login(client, owner_b, org=org_b)
    body = day_page(client)
    assert "09:00–09:30" in body
    assert "14:00–14:30" not in body
    assert "times in America/New_York" in body


def test_a_day_only_shows_its_own_appointments(as_staff, people_a):
    book(people_a, day=DAY + dt.timedelta(days=1))
    body = day_page(as_staff)
    assert "Jane Doe" not in body
    assert "0 appointments" in body


def test_a_day_starts_at_the_clinics_midnight(as_staff, people_a):
    """00:30 in Berlin is the previous day in UTC; it belongs to the local day."""
    book(people_a, time="00:30")
    assert "00:30–01:00" in day_page(as_staff)
    assert "Jane Doe" not in day_page(as_staff, DAY - dt.timedelta(days=1))


def test_without_a_date_it_shows_the_clinics_today(as_staff, people_a):
    body = as_staff.get("/").content.decode()
    assert '<span class="tag">Today</span>' in body


@pytest.mark.parametrize("bad", ["2030-02-30", "yesterday", "0001-01-01", "9999-12-31", "2030-3-4x"])
def test_a_bad_date_falls_back_to_today_with_a_message(as_staff, org_a, bad):
    response = as_staff.get("/", {"date": bad})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "Here is today." in flashed(response)[0]


def test_it_links_to_the_previous_and_next_day(as_staff, org_a):
    body = day_page(as_staff)
    assert 'href="?date=2030-03-03" rel="prev"' in body
    assert 'href="?date=2030-03-05" rel="next"' in body


def test_a_phone_shows_the_first_provider_unless_the_switcher_picked_another(as_staff, people_a):
    book(people_a, time="09:00")
    book(people_a, patient=people_a.john, provider=people_a.grace, time="10:15")
    first = day_page(as_staff)
    assert 'aria-label="Provider shown"' in first
    assert f'href="?date=2030-03-04&amp;provider={people_a.grace.pk}">Dr Grace Hopper<' in first
    assert f'provider={people_a.ada.pk}" aria-current="true">Dr Ada Lovelace<' in first
    assert first.count("day-grid__aside") > 0
    assert "@media (max-width:40rem){.day-grid{grid-template-columns:3.25rem minmax(0, 1fr) 0}}" in first

    response = as_staff.get("/", {"date": "2030-03-04", "provider": str(people_a.grace.pk)})
    body = response.content.decode()
    assert f'provider={people_a.grace.pk}" aria-current="true">Dr Grace Hopper<' in body
    assert "@media (max-width:40rem){.day-grid{grid-template-columns:3.25rem 0 minmax(0, 1fr)}}" in body
    # John's visit is Grace's: on a phone it stays, Jane's (Ada's) goes.
    john = body[body.index("John Roe") - 600 : body.index("John Roe")]
    jane = body[body.index("Jane Doe") - 600 : body.index("Jane Doe")]
    assert "day-grid__aside" not in john.rsplit("<article", 1)[1]
    assert "day-grid__aside" in jane.rsplit("<article", 1)[1]
    # The other days keep the provider.
    assert f'href="?date=2030-03-05&amp;provider={people_a.grace.pk}" rel="next"' in body
    assert f'<input type="hidden" name="provider" value="{people_a.grace.pk}">' in body


def test_a_provider_of_another_clinic_shows_the_first_provider(as_staff, people_a, people_b):
    body = as_staff.get("/", {"date": "2030-03-04", "provider": str(people_b.ada.pk)}).content.decode()
    assert str(people_b.ada.pk) not in body
    assert f'provider={people_a.ada.pk}" aria-current="true">' in body


@pytest.mark.parametrize("bad", ["ada", "12345", "<script>"])
def test_a_malformed_provider_goes_back_to_the_day_with_a_message(as_staff, org_a, bad):
    response = as_staff.get("/", {"date": "2030-03-04", "provider": bad})
    assert response.status_code == 302
    assert response["Location"] == "/?date=2030-03-04"
    assert flashed(response) == ["That is not a provider of the schedule. Here is the first one."]


def test_the_days_around_a_dst_change_keep_their_local_times(as_staff, people_a):
    """Berlin springs forward on 29 March 2026: the next day, 09:00 is still 09:00."""
    day = dt.date(2026, 3, 30)
    appointment = book(people_a, day=day, time="09:00")
    assert appointment.starts_at == dt.datetime(2026, 3, 30, 7, tzinfo=dt.UTC)
    body = day_page(as_staff, day)
    assert "09:00–09:30" in body
    assert "Jane Doe" in body


def test_an_inactive_provider_keeps_a_column_only_on_days_with_appointments(as_staff, people_a):
    book(people_a, provider=people_a.grace)
    with tenant_context(org=people_a.org):
        Provider.objects.filter(pk=people_a.grace.pk).update(active=False)
    assert "Dr Grace Hopper" in day_page(as_staff)
    assert "Dr Grace Hopper" not in day_page(as_staff, DAY + dt.timedelta(days=1))


def test_with_no_providers_it_says_where_to_add_them(client, org_a, owner_a):
    login(client, owner_a, org=org_a)
    body = client.get("/").content.decode()
    assert "No providers yet" in body
    assert 'href="/setup/"' in body


# --- isolation ----------------------------------------------------------------------


def test_clinic_a_never_sees_clinic_bs_appointments(as_staff, people_a, people_b):
    book(people_b, time="03:00")  # 09:00 in Berlin
    book(people_a, time="11:00")
    body = day_page(as_staff)
    assert "OtherJane" not in body
    assert "OtherAda" not in body
    assert "Jane Doe" in body
    assert "1 appointment ·" in body


def test_a_status_change_on_another_clinics_appointment_is_a_404(as_staff, people_a, people_b):
    theirs = book(people_b)
    response = as_staff.post(f"/appointments/{theirs.pk}/status/", {"status": "cancelled"})
    assert response.status_code == 404
    assert status_of(theirs) == "scheduled"


# --- status buttons -----------------------------------------------------------------


def buttons(body: str, appointment: Appointment) -> list[str]:
    import re

    form = body.split(f'action="/appointments/{appointment.pk}/status/"')[1].split("</form>")[0]
    return re.findall(r'name="status" value="([a-z_]+)"', form)


def test_it_offers_only_the_changes_the_rules_allow(as_staff, people_a):
    upcoming = book(people_a)
    arrived = book(people_a, patient=people_a.john, provider=people_a.grace, status="arrived")
    body = day_page(as_staff)
    # A future appointment cannot be a no-show yet, nor completed before arrival.
    assert buttons(body, upcoming) == ["confirmed", "arrived", "cancelled"]
    assert buttons(body, arrived) == ["completed", "cancelled"]


def test_a_past_appointment_can_be_marked_as_a_no_show(as_staff, people_a):
    missed = book(people_a, day=PAST_DAY, status="confirmed")
    completed = book(people_a, patient=people_a.john, day=PAST_DAY, time="10:00", status="arrived")
    with tenant_context(org=people_a.org):
        appointment_set_status(appointment=completed, status="completed", changed_by=None)
    body = day_page(as_staff, PAST_DAY)
    assert buttons(body, missed) == ["arrived", "no_show", "cancelled"]
    assert f'action="/appointments/{completed.pk}/status/"' not in body


def test_a_status_button_changes_the_status_and_records_who(as_staff, people_a, staff_a):
    appointment = book(people_a)
    response = as_staff.post(
        f"/appointments/{appointment.pk}/status/", {"status": "confirmed", "next": "/?date=2030-03-04"}
    )
    assert response["Location"] == "/?date=2030-03-04"
    assert flashed(response) == ["Jane Doe at 09:00–09:30: confirmed."]
    with tenant_context(org=people_a.org):
        stored = Appointment.objects.get(pk=appointment.pk)
        change = stored.status_changes.last()
    assert stored.status == "confirmed"
    assert (change.from_status, change.to_status, change.changed_by_id) == ("scheduled", "confirmed", staff_a.pk)


def test_a_refused_change_says_why_and_changes_nothing(as_staff, people_a):
    appointment = book(people_a)
    response = as_staff.post(f"/appointments/{appointment.pk}/status/", {"status": "completed"})
    assert flashed(response) == ["Jane Doe at 09:00–09:30: A scheduled appointment cannot become completed."]
    assert status_of(appointment) == "scheduled"


def test_a_no_show_before_the_start_is_refused(as_staff, people_a):
    appointment = book(people_a)
    response = as_staff.post(f"/appointments/{appointment.pk}/status/", {"status": "no_show"})
    assert "only once it has started" in flashed(response)[0]
    assert status_of(appointment) == "scheduled"


def test_an_unknown_status_changes_nothing(as_staff, people_a):
    appointment = book(people_a)
    response = as_staff.post(f"/appointments/{appointment.pk}/status/", {"status": "teleported"})
    assert flashed(response) == ["Choose one of the offered status changes."]
    assert status_of(appointment) == "scheduled"


def test_after_a_change_it_goes_back_to_the_appointments_day_not_elsewhere(as_staff, people_a):
    appointment = book(people_a)
    for next_url in ("https://evil.example/", "//evil.example/", ""):
        response = as_staff.post(f"/appointments/{appointment.pk}/status/", {"status": "confirmed", "next": next_url})
        assert response["Location"] == "/?date=2030-03-04"


def test_status_changes_need_a_post(as_staff, people_a):
    appointment = book(people_a)
    assert as_staff.get(f"/appointments/{appointment.pk}/status/").status_code == 405


def test_the_schedule_needs_a_login(client, people_a):
    appointment = book(people_a)
    assert client.get("/?date=2030-03-04")["Location"].startswith("/accounts/login/")
    assert client.post(f"/appointments/{appointment.pk}/status/", {"status": "confirmed"}).status_code == 302
    assert status_of(appointment) == "scheduled"


# --- the grid, on its own -------------------------------------------------------------


def test_a_cancelled_appointment_and_its_replacement_take_two_lanes(people_a):
    cancelled = book(people_a, status="cancelled")
    replacement = book(people_a, patient=people_a.john)
    spans = [(cancelled, 540, 570), (replacement, 540, 570)]
    assert assign_lanes(spans) == [1, 0]


def test_back_to_back_appointments_share_a_lane(people_a):
    first = book(people_a)
    second = book(people_a, patient=people_a.john, time="09:30")
    assert assign_lanes([(first, 540, 570), (second, 570, 600)]) == [0, 0]


def test_the_grid_places_blocks_on_five_minute_rows_from_the_first_hour(people_a):
    early = book(people_a, time="07:10")
    with tenant_context(org=people_a.org):
        grid = build_day_grid(
            day=DAY,
            zone=people_a.org.zone,
            providers=[people_a.ada, people_a.grace],
            appointments=[early],
            working_hours=[],
            now=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        )
    block = grid.columns[0].blocks[0]
    assert grid.hours[0].label == "07:00"  # earlier than the usual 08:00
    assert (block.row, block.row_end, block.column) == (2 + 2, 2 + 8, 2)
    assert grid.rows == (18 - 7) * 12
    assert grid.template_columns.startswith("4.25rem minmax(11rem, 1fr)")
