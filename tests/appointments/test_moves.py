"""Moving an appointment (a new time or provider) stays in its history with where it
was and where it went, whichever surface moved it."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.appointments.models import AppointmentMove
from clinic.appointments.services import appointment_book, appointment_set_status, appointment_update
from clinic.core.timezones import localize
from tenancy.context import tenant_context
from tests.support.people import login

MONDAY = dt.date(2030, 3, 4)


def at(people, day: dt.date, time: str) -> dt.datetime:
    return localize(day, dt.time.fromisoformat(time), people.org.zone)


def book(people):
    with tenant_context(org=people.org):
        return appointment_book(
            patient=people.jane,
            provider=people.ada,
            appointment_type=people.checkup,
            starts_at=at(people, MONDAY, "09:30"),
            booked_by=None,
        )


def moves(people) -> list[AppointmentMove]:
    with tenant_context(org=people.org):
        return list(AppointmentMove.objects.select_related("from_provider", "to_provider"))


def test_a_move_keeps_the_old_and_the_new_time_and_provider(people_a, staff_a):
    appointment = book(people_a)
    tuesday_ten = at(people_a, MONDAY + dt.timedelta(days=1), "10:00")
    with tenant_context(org=people_a.org):
        appointment_update(appointment=appointment, changed_by=staff_a, starts_at=tuesday_ten, provider=people_a.grace)
    (move,) = moves(people_a)
    assert (move.from_starts_at, move.from_ends_at) == (at(people_a, MONDAY, "09:30"), at(people_a, MONDAY, "10:00"))
    assert (move.to_starts_at, move.to_ends_at) == (tuesday_ten, tuesday_ten + dt.timedelta(minutes=30))
    assert (move.from_provider, move.to_provider) == (people_a.ada, people_a.grace)
    assert (move.changed_by, move.via) == (staff_a, "staff")
    assert move.describe(people_a.org.zone) == (
        "Moved from Mon 4 Mar 09:30 with Dr Ada Lovelace to Tue 5 Mar 10:00 with Dr Grace Hopper"
    )


def test_notes_type_or_status_are_not_moves(people_a):
    appointment = book(people_a)
    with tenant_context(org=people_a.org):
        appointment_update(appointment=appointment, changed_by=None, notes="Fasting")
        appointment_update(appointment=appointment, changed_by=None, starts_at=appointment.starts_at)  # no change
        appointment_set_status(appointment=appointment, status="confirmed", changed_by=None)
    assert moves(people_a) == []


def test_a_refused_move_leaves_no_history(people_a):
    appointment = book(people_a)
    with tenant_context(org=people_a.org):
        with pytest.raises(Exception, match="confirm"):
            appointment_update(
                appointment=appointment,
                changed_by=None,
                starts_at=at(people_a, MONDAY, "23:00"),
                override_warnings=[],
            )
    assert moves(people_a) == []


def test_the_appointment_page_shows_the_move_in_its_history(client, org_a, staff_a, people_a):
    login(client, staff_a, org=org_a)
    appointment = book(people_a)
    with tenant_context(org=people_a.org):
        appointment_set_status(appointment=appointment, status="confirmed", changed_by=None)
    data = {
        "patient": people_a.jane.pk,
        "provider": people_a.grace.pk,
        "appointment_type": people_a.checkup.pk,
        "date": "2030-03-05",
        "start_time": "10:00",
        "end_time": "",
        "notes": "",
        "save": "1",
    }
    assert client.post(f"/appointments/{appointment.pk}/edit/", data).status_code == 302
    body = client.get(f"/appointments/{appointment.pk}/").content.decode()
    history = body[body.index('class="history') :]
    moved = "Moved from Mon 4 Mar 09:30 with Dr Ada Lovelace to Tue 5 Mar 10:00 with Dr Grace Hopper"
    assert moved in history
    # In order: booked, confirmed, moved, and so scheduled again.
    assert history.index("Booked") < history.index("Scheduled → Confirmed") < history.index(moved)
    assert history.index(moved) < history.index("Confirmed → Scheduled")


def test_a_move_through_the_api_is_recorded_as_such(api_a, people_a):
    appointment = book(people_a)
    response = api_a.patch(f"appointments/{appointment.pk}/", {"starts_at": "2030-03-04T11:00:00+01:00"})
    assert response.status_code == 200, response.json()
    (move,) = moves(people_a)
    assert move.via == "api"
    assert move.describe(people_a.org.zone) == (
        "Moved from Mon 4 Mar 09:30 with Dr Ada Lovelace to Mon 4 Mar 11:00 with Dr Ada Lovelace"
    )


def test_the_patients_data_export_holds_the_moves(people_a):
    from clinic.data_rights.services import patient_export

    appointment = book(people_a)
    with tenant_context(org=people_a.org):
        appointment_update(appointment=appointment, changed_by=None, provider=people_a.grace)
        (visit,) = patient_export(patient=people_a.jane)["appointments"]
    (move,) = visit["moves"]
    assert move["from"] == {
        "starts_at": at(people_a, MONDAY, "09:30"),
        "ends_at": at(people_a, MONDAY, "10:00"),
        "provider": "Dr Ada Lovelace",
    }
    assert move["to"]["provider"] == "Dr Grace Hopper"
    assert move["via"] == "staff"
