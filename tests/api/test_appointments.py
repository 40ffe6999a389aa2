"""/api/v1/appointments/: book, list with filters, change, and the status actions,
through the same services as the staff pages."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from clinic.appointments.models import Appointment, AppointmentStatusChange
from tenancy.context import tenant_context

NINE = "2030-01-07T09:00:00+01:00"


def booking(people, **extra) -> dict:
    return {
        "patient": str(people.jane.pk),
        "provider": str(people.ada.pk),
        "appointment_type": str(people.checkup.pk),
        "starts_at": NINE,
        **extra,
    }


@pytest.fixture
def booked(api_a, people_a) -> dict:
    response = api_a.post("appointments/", booking(people_a))
    assert response.status_code == 201, response.json()
    return response.json()


def test_booking_through_the_api_uses_the_services(api_a, people_a, org_a, booked):
    assert booked["starts_at"] == NINE
    assert booked["ends_at"] == "2030-01-07T09:30:00+01:00"  # the type's 30 minutes
    assert booked["status"] == "scheduled"
    with tenant_context(org=org_a):
        history = list(AppointmentStatusChange.objects.values_list("to_status", "via"))
    assert history == [("scheduled", "api")]


def test_the_location_header_names_the_new_appointment(api_a, people_a):
    response = api_a.post("appointments/", booking(people_a, starts_at="2030-01-07T11:00:00+01:00"))
    assert response["Location"].endswith(f"/api/v1/appointments/{response.json()['id']}/")
    assert api_a.get(urlsplit(response["Location"]).path).json()["id"] == response.json()["id"]


def test_a_double_booking_answers_409_naming_the_appointment_in_the_way(api_a, people_a, booked):
    response = api_a.post(
        "appointments/", booking(people_a, patient=str(people_a.john.pk), starts_at="2030-01-07T09:15:00+01:00")
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "slot_conflict"
    assert error["conflict_with"] == "provider"
    assert error["conflicting_appointment"]["id"] == booked["id"]
    assert "Jane Doe" in error["message"] and "09:00" in error["message"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_at": "2030-01-07T09:00:00"}, "starts_at"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"starts_at": "1999-01-07T09:00:00+01:00"}, "starts_at"),
        ({"ends_at": "2030-01-07T08:00:00+01:00"}, "ends_at"),
        ({"patient": "not-a-uuid"}, "patient"),
        ({"provider": "7d0c6a43-1f7e-4a55-9a55-2c1f3e0b8d11"}, "provider"),
        ({"status": "confirmed"}, "status"),
        ({"colour": "#fff"}, "colour"),
    ],
)
def test_validation_errors_name_the_field(api_a, people_a, change, field):
    response = api_a.post("appointments/", booking(people_a, **change))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    with tenant_context(org=people_a.org):
        assert not Appointment.objects.exists()


def test_a_missing_field_is_named(api_a):
    response = api_a.post("appointments/", {})
    assert set(response.json()["error"]["fields"]) == {"patient", "provider", "appointment_type", "starts_at"}


def test_an_inactive_provider_cannot_be_booked(api_a, people_a):
    assert api_a.patch(f"providers/{people_a.ada.pk}/", {"active": False}).status_code == 200
    response = api_a.post("appointments/", booking(people_a))
    assert response.status_code == 400
    assert "inactive" in response.json()["error"]["fields"]["provider"][0]


def test_rescheduling_keeps_the_length_and_withdraws_a_confirmation(api_a, booked):
    assert api_a.post(f"appointments/{booked['id']}/confirm/").json()["status"] == "confirmed"
    response = api_a.patch(f"appointments/{booked['id']}/", {"starts_at": "2030-01-07T10:00:00+01:00"})
    assert response.status_code == 200
    moved = response.json()
    assert (moved["starts_at"], moved["ends_at"]) == ("2030-01-07T10:00:00+01:00", "2030-01-07T10:30:00+01:00")
    assert moved["status"] == "scheduled"


def test_the_status_cannot_be_patched(api_a, booked):
    response = api_a.patch(f"appointments/{booked['id']}/", {"status": "cancelled"})
    assert response.status_code == 400
    assert "actions" in response.json()["error"]["fields"]["status"][0]


@pytest.mark.parametrize(
    ("steps", "final"),
    [
        (["confirm"], "confirmed"),
        (["cancel"], "cancelled"),
        (["arrived", "completed"], "completed"),
        (["cancel", "confirm"], None),  # a cancelled appointment cannot be confirmed
    ],
)
def test_status_actions_follow_the_front_desk_rules(api_a, booked, org_a, steps, final):
    for step in steps:
        response = api_a.post(f"appointments/{booked['id']}/{step}/")
    if final is None:
        assert response.status_code == 400
        assert response.json()["error"]["fields"]["status"] == ["A cancelled appointment cannot become confirmed."]
    else:
        assert response.status_code == 200
        assert response.json()["status"] == final
        with tenant_context(org=org_a):
            assert set(AppointmentStatusChange.objects.values_list("via", flat=True)) == {"api"}


def test_no_show_only_once_started(api_a, booked):
    response = api_a.post(f"appointments/{booked['id']}/no-show/")
    assert response.status_code == 400
    assert "started" in response.json()["error"]["message"]


def test_there_is_no_deleting_appointments(api_a, booked):
    response = api_a.request("DELETE", f"appointments/{booked['id']}/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_list_filters_by_time_provider_patient_and_status(api_a, people_a):
    times = ["2030-01-07T09:00:00+01:00", "2030-01-08T09:00:00+01:00", "2030-01-09T09:00:00+01:00"]
    ids = [api_a.post("appointments/", booking(people_a, starts_at=t)).json()["id"] for t in times]
    other = api_a.post(
        "appointments/",
        booking(people_a, patient=str(people_a.john.pk), provider=str(people_a.grace.pk), starts_at=times[0]),
    ).json()["id"]
    api_a.post(f"appointments/{ids[2]}/cancel/")

    def listed(**params) -> list[str]:
        response = api_a.get("appointments/", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert listed() == [ids[0], other, ids[1], ids[2]] or listed() == [other, ids[0], ids[1], ids[2]]
    assert listed(**{"from": "2030-01-08T00:00:00+01:00"}) == [ids[1], ids[2]]
    assert listed(**{"from": "2030-01-07T23:00:00-01:00", "to": "2030-01-09T00:00:00Z"}) == [ids[1]]
    assert listed(provider=str(people_a.grace.pk)) == [other]
    assert listed(patient=str(people_a.jane.pk), status="cancelled") == [ids[2]]
    assert set(listed(status=["scheduled", "cancelled"])) == {*ids, other}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2030-01-08"}, "from"),
        ({"from": "2030-01-08T00:00:00"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2030-01-08T00:00:00Z", "to": "2030-01-07T00:00:00Z"}, "to"),
        ({"provider": "ada"}, "provider"),
        ({"status": "finished"}, "status"),
    ],
)
def test_bad_filters_are_named(api_a, params, field):
    response = api_a.get("appointments/", params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_times_are_shown_in_the_clinic_zone(api_a, people_a):
    response = api_a.post("appointments/", booking(people_a, starts_at="2030-01-07T08:00:00Z"))
    assert response.json()["starts_at"] == "2030-01-07T09:00:00+01:00"
