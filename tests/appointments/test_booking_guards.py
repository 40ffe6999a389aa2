"""Booking guards: a time in the past, outside the provider's working hours, on their
day off or at night is booked only once confirmed, by the same rule on the staff
pages (a warning and "Book anyway") and in the API (422 and `override_warnings`)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages

from clinic.appointments.guards import booking_warnings
from clinic.appointments.models import Appointment
from clinic.appointments.services import BookingNeedsConfirmation, appointment_book, appointment_update
from clinic.core.timezones import localize
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.people import login

MONDAY = dt.date(2030, 3, 4)
BERLIN_TIME = "+01:00"


@pytest.fixture
def hours_a(people_a):
    """Ada works Monday to Friday, 08:00–17:00 (Berlin)."""
    with tenant_context(org=people_a.org):
        for weekday in range(5):
            factories.working_hours(provider=people_a.ada, weekday=weekday)
    return people_a


def at(day: dt.date, time: str, people) -> dt.datetime:
    return localize(day, dt.time.fromisoformat(time), people.org.zone)


def codes(people, day: dt.date, starts: str, ends: str, *, now: dt.datetime | None = None) -> list[str]:
    with tenant_context(org=people.org):
        warnings = booking_warnings(
            provider=people.ada,
            starts_at=at(day, starts, people),
            ends_at=at(day, ends, people),
            zone=people.org.zone,
            now=now,
        )
    return [warning.code for warning in warnings]


def book(people, day: dt.date = MONDAY, time: str = "09:00", **extra) -> Appointment:
    with tenant_context(org=people.org):
        return appointment_book(
            patient=people.jane,
            provider=people.ada,
            appointment_type=people.checkup,
            starts_at=at(day, time, people),
            booked_by=None,
            **extra,
        )


def count(people) -> int:
    with tenant_context(org=people.org):
        return Appointment.objects.count()


# --- the rule -----------------------------------------------------------------------


def test_a_time_within_working_hours_needs_nothing(hours_a):
    assert codes(hours_a, MONDAY, "08:00", "17:00") == []


@pytest.mark.parametrize(
    ("day", "starts", "ends", "expected"),
    [
        (MONDAY, "07:30", "08:30", ["outside_working_hours"]),
        (MONDAY, "16:45", "17:15", ["outside_working_hours"]),
        (MONDAY + dt.timedelta(days=5), "10:00", "10:30", ["provider_day_off"]),  # a Saturday
        (MONDAY, "05:30", "06:00", ["outside_working_hours", "night_time"]),
        (MONDAY, "21:45", "22:15", ["outside_working_hours", "night_time"]),
        (MONDAY + dt.timedelta(days=6), "23:00", "23:30", ["provider_day_off", "night_time"]),
    ],
)
def test_each_guard_names_its_warning(hours_a, day, starts, ends, expected):
    assert codes(hours_a, day, starts, ends) == expected


def test_the_past_is_judged_against_now(hours_a):
    now = at(MONDAY, "10:00", hours_a)
    assert codes(hours_a, MONDAY, "09:30", "10:00", now=now) == ["in_past"]
    assert codes(hours_a, MONDAY, "10:00", "10:30", now=now) == []


def test_night_is_clinic_time(people_b):
    """New York's 23:00 is 05:00 in Berlin, and the other way round for 09:00."""
    assert codes(people_b, MONDAY, "23:00", "23:30") == ["night_time"]
    assert codes(people_b, MONDAY, "09:00", "09:30") == []


def test_a_provider_without_working_hours_gets_only_past_and_night_warnings(people_a):
    sunday = MONDAY + dt.timedelta(days=6)
    assert codes(people_a, sunday, "12:00", "12:30") == []
    assert codes(people_a, sunday, "22:00", "22:30") == ["night_time"]


def test_the_warning_says_what_and_when(hours_a):
    with tenant_context(org=hours_a.org):
        (warning,) = booking_warnings(
            provider=hours_a.ada,
            starts_at=at(MONDAY, "18:00", hours_a),
            ends_at=at(MONDAY, "18:30", hours_a),
            zone=hours_a.org.zone,
        )
    assert warning.message == "It is outside Dr Ada Lovelace's working hours (08:00–17:00)."


# --- the services -------------------------------------------------------------------


def test_booking_refuses_unconfirmed_warnings_and_saves_nothing(hours_a):
    with pytest.raises(BookingNeedsConfirmation) as excinfo:
        book(hours_a, time="20:00", override_warnings=[])
    assert [warning.code for warning in excinfo.value.warnings] == ["outside_working_hours"]
    assert excinfo.value.code == "confirmation_required"
    assert count(hours_a) == 0


def test_booking_needs_every_warning_confirmed(hours_a):
    with pytest.raises(BookingNeedsConfirmation):
        book(hours_a, time="22:30", override_warnings=["night_time"])
    appointment = book(hours_a, time="22:30", override_warnings=["night_time", "outside_working_hours"])
    assert [warning.code for warning in appointment.overridden_warnings] == ["outside_working_hours", "night_time"]
    assert count(hours_a) == 1


def test_callers_that_do_not_ask_are_not_guarded(hours_a):
    """Imports, seed data and the admin book what they are given."""
    assert book(hours_a, time="23:00").overridden_warnings == []


def test_moving_is_guarded_and_changing_the_notes_is_not(hours_a):
    appointment = book(hours_a, override_warnings=[])
    with tenant_context(org=hours_a.org):
        factories.working_hours(provider=hours_a.grace, weekday=1)  # Tuesdays only
        with pytest.raises(BookingNeedsConfirmation):
            appointment_update(
                appointment=appointment, changed_by=None, starts_at=at(MONDAY, "19:00", hours_a), override_warnings=[]
            )
        with pytest.raises(BookingNeedsConfirmation):
            appointment_update(appointment=appointment, changed_by=None, provider=hours_a.grace, override_warnings=[])
        appointment_update(appointment=appointment, changed_by=None, notes="Fasting", override_warnings=[])
        moved = appointment_update(
            appointment=appointment,
            changed_by=None,
            starts_at=at(MONDAY, "19:00", hours_a),
            override_warnings=["outside_working_hours"],
        )
        assert [warning.code for warning in moved.overridden_warnings] == ["outside_working_hours"]
        appointment.refresh_from_db()
        assert (appointment.notes, appointment.starts_at) == ("Fasting", at(MONDAY, "19:00", hours_a))


# --- the staff form -----------------------------------------------------------------


@pytest.fixture
def as_staff(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    return client


def form_data(people, **overrides) -> dict:
    data = {
        "patient": people.jane.pk,
        "provider": people.ada.pk,
        "appointment_type": people.checkup.pk,
        "date": MONDAY.isoformat(),
        "start_time": "20:00",
        "end_time": "",
        "notes": "",
        "save": "1",
    }
    return {**data, **overrides}


def test_the_form_warns_and_saves_nothing_until_confirmed(as_staff, hours_a):
    response = as_staff.post("/appointments/new/", form_data(hours_a))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Please check the time: nothing is saved yet" in body
    assert "It is outside Dr Ada Lovelace&#x27;s working hours (08:00–17:00)." in body
    assert '<input type="hidden" name="warned" value="outside_working_hours"' in body
    assert "Book anyway, despite the warnings above" in body
    assert count(hours_a) == 0

    response = as_staff.post("/appointments/new/", form_data(hours_a, warned="outside_working_hours", book_anyway="on"))
    assert response.status_code == 302
    assert count(hours_a) == 1
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert "Booked anyway: It is outside Dr Ada Lovelace's working hours (08:00–17:00)." in shown


def test_a_new_warning_needs_a_new_confirmation(as_staff, hours_a):
    """Ticking "Book anyway" for one warning does not book a time with another."""
    data = form_data(hours_a, start_time="22:30", warned="outside_working_hours", book_anyway="on")
    response = as_staff.post("/appointments/new/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="night_time"' in body
    assert 'name="book_anyway"' in body and "checked" not in body.split('name="book_anyway"', 1)[1].split(">")[0]
    assert count(hours_a) == 0


def test_an_unknown_code_confirms_nothing(as_staff, hours_a):
    response = as_staff.post("/appointments/new/", form_data(hours_a, warned="whatever", book_anyway="on"))
    assert response.status_code == 200
    assert "Please check the time: nothing is saved yet" in response.content.decode()
    assert count(hours_a) == 0


def test_a_time_without_warnings_books_at_once(as_staff, hours_a):
    response = as_staff.post("/appointments/new/", form_data(hours_a, start_time="10:00"))
    assert response.status_code == 302
    assert "Please check the time" not in response.content.decode()
    assert count(hours_a) == 1


def test_moving_on_the_change_page_asks_too(as_staff, hours_a):
    appointment = book(hours_a)
    page = f"/appointments/{appointment.pk}/edit/"
    response = as_staff.post(page, form_data(hours_a, start_time="06:30"))
    assert "Please check the time: nothing is saved yet" in response.content.decode()
    with tenant_context(org=hours_a.org):
        appointment.refresh_from_db()
    assert appointment.starts_at == at(MONDAY, "09:00", hours_a)
    response = as_staff.post(
        page, form_data(hours_a, start_time="06:30", warned="outside_working_hours", book_anyway="on")
    )
    assert response.status_code == 302
    with tenant_context(org=hours_a.org):
        appointment.refresh_from_db()
    assert appointment.starts_at == at(MONDAY, "06:30", hours_a)


# --- the API ------------------------------------------------------------------------


def booking(people, starts_at: str, **extra) -> dict:
    return {
        "patient": str(people.jane.pk),
        "provider": str(people.ada.pk),
        "appointment_type": str(people.checkup.pk),
        "starts_at": starts_at,
        **extra,
    }


def test_the_api_answers_422_with_the_warnings(api_a, hours_a):
    response = api_a.post("appointments/", booking(hours_a, f"2030-03-09T23:00:00{BERLIN_TIME}"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "confirmation_required"
    assert [warning["code"] for warning in error["warnings"]] == ["provider_day_off", "night_time"]
    assert error["warnings"][0]["message"] == "Dr Ada Lovelace does not work on Saturdays."
    assert count(hours_a) == 0


def test_the_api_books_with_the_overrides_and_says_so(api_a, hours_a):
    data = booking(hours_a, f"2030-03-09T23:00:00{BERLIN_TIME}", override_warnings=["provider_day_off", "night_time"])
    response = api_a.post("appointments/", data)
    assert response.status_code == 201, response.json()
    assert response.json()["overridden_warnings"] == ["provider_day_off", "night_time"]
    assert count(hours_a) == 1


def test_the_api_refuses_an_unknown_override(api_a, hours_a):
    data = booking(hours_a, f"2030-03-04T09:00:00{BERLIN_TIME}", override_warnings=["whatever"])
    response = api_a.post("appointments/", data)
    assert response.status_code == 400
    assert "override_warnings.0" in response.json()["error"]["fields"] or "override_warnings" in str(
        response.json()["error"]["fields"]
    )


def test_an_api_move_is_guarded(api_a, hours_a):
    created = api_a.post("appointments/", booking(hours_a, f"2030-03-04T09:00:00{BERLIN_TIME}")).json()
    assert "overridden_warnings" not in created  # nothing overridden: as GET renders it
    url = f"appointments/{created['id']}/"
    response = api_a.patch(url, {"starts_at": f"2030-03-04T18:00:00{BERLIN_TIME}"})
    assert response.status_code == 422
    assert [warning["code"] for warning in response.json()["error"]["warnings"]] == ["outside_working_hours"]
    response = api_a.patch(
        url, {"starts_at": f"2030-03-04T18:00:00{BERLIN_TIME}", "override_warnings": ["outside_working_hours"]}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["starts_at"] == f"2030-03-04T18:00:00{BERLIN_TIME}"
    assert response.json()["overridden_warnings"] == ["outside_working_hours"]
