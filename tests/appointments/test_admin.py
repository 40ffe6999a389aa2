"""The appointments admin: forms validate like the services (no server errors on a
double booking or a taken phone), times are the clinic's, statuses change through
the rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clinic.appointments.models import Appointment, Patient, Provider
from clinic.appointments.services import appointment_book, appointment_set_status
from tenancy.context import tenant_context
from tests.support import factories

UTC = dt.UTC


def url(model, suffix: str = "") -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{suffix}"


def management_data(response) -> dict:
    """The inline formsets' management fields, as the page would post them back."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        form = inline.formset.management_form
        data.update({form.add_prefix(name): value for name, value in form.initial.items()})
    return data


@pytest.fixture
def people(org_a):
    with tenant_context(org=org_a):
        return {
            "jane": factories.patient(first_name="Jane", last_name="Doe"),
            "john": factories.patient(first_name="John", last_name="Roe"),
            "ada": factories.provider(title="Dr", name="Ada Lovelace"),
            "checkup": factories.appointment_type(name="Check-up", default_duration=30),
        }


def post_appointment(client, people, *, patient="jane", time="09:00", ends=("", ""), pk=None):
    page = url(Appointment, f"{pk}/change/" if pk else "add/")
    data = {
        "patient": people[patient].pk,
        "provider": people["ada"].pk,
        "appointment_type": people["checkup"].pk,
        "starts_at_0": "2030-03-04",
        "starts_at_1": time,
        "ends_at_0": ends[0],
        "ends_at_1": ends[1],
        "notes": "",
        **management_data(client.get(page)),
    }
    return client.post(page, data)


def test_it_books_in_the_clinics_time_with_the_types_duration(admin_client, people, org_a, owner_a):
    response = post_appointment(admin_client, people)
    assert response.status_code == 302, response.context["adminform"].form.errors
    with tenant_context(org=org_a):
        appointment = Appointment.objects.get()
        # 09:00 in Berlin in March (before the clock change) is 08:00 UTC.
        assert (appointment.starts_at, appointment.ends_at) == (
            dt.datetime(2030, 3, 4, 8, tzinfo=UTC),
            dt.datetime(2030, 3, 4, 8, 30, tzinfo=UTC),
        )
        assert appointment.status_changed_by == owner_a
        assert list(appointment.status_changes.values_list("from_status", "to_status", "changed_by")) == [
            ("", "scheduled", owner_a.pk)
        ]
    listing = admin_client.get(url(Appointment)).content.decode()
    assert "4 March 2030, 09:00" in listing  # clinic A shows dates day first


def test_a_double_booking_is_a_form_error_naming_the_conflict(admin_client, people, org_a):
    assert post_appointment(admin_client, people).status_code == 302
    response = post_appointment(admin_client, people, patient="john", time="09:15")
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Dr Ada Lovelace already has Jane Doe at 09:00–09:30 (Europe/Berlin)"
    ]
    with tenant_context(org=org_a):
        assert Appointment.objects.count() == 1


def test_a_nonexistent_local_time_is_a_form_error(admin_client, people, org_a):
    page = url(Appointment, "add/")
    data = {
        "patient": people["jane"].pk,
        "provider": people["ada"].pk,
        "appointment_type": people["checkup"].pk,
        "starts_at_0": "2030-03-31",  # Europe springs forward at 02:00 that day
        "starts_at_1": "02:30",
        **management_data(admin_client.get(page)),
    }
    response = admin_client.post(page, data)
    assert response.status_code == 200
    assert "starts_at" in response.context["adminform"].form.errors


def test_rescheduling_a_confirmed_appointment_asks_for_a_new_confirmation(admin_client, people, org_a, owner_a):
    with tenant_context(org=org_a):
        appointment = appointment_book(
            patient=people["jane"],
            provider=people["ada"],
            appointment_type=people["checkup"],
            starts_at=dt.datetime(2030, 3, 4, 8, tzinfo=UTC),
            booked_by=owner_a,
        )
        appointment_set_status(appointment=appointment, status="confirmed", changed_by=owner_a)
    response = post_appointment(admin_client, people, time="11:00", ends=("2030-03-04", "11:30"), pk=appointment.pk)
    assert response.status_code == 302, response.context["adminform"].form.errors
    with tenant_context(org=org_a):
        appointment.refresh_from_db()
    assert appointment.starts_at == dt.datetime(2030, 3, 4, 10, tzinfo=UTC)
    assert appointment.status == Appointment.Status.SCHEDULED


def test_moving_only_the_start_keeps_the_duration(admin_client, people, org_a):
    with tenant_context(org=org_a):
        appointment = factories.appointment(
            patient=people["jane"],
            provider=people["ada"],
            starts_at=dt.datetime(2030, 3, 4, 8, tzinfo=UTC),
            ends_at=dt.datetime(2030, 3, 4, 8, 45, tzinfo=UTC),
        )
    response = post_appointment(admin_client, people, time="13:00", ends=("2030-03-04", "09:45"), pk=appointment.pk)
    assert response.status_code == 302, response.context["adminform"].form.errors
    with tenant_context(org=org_a):
        appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.ends_at) == (
        dt.datetime(2030, 3, 4, 12, tzinfo=UTC),
        dt.datetime(2030, 3, 4, 12, 45, tzinfo=UTC),
    )


def test_status_actions_follow_the_rules_and_record_history(admin_client, people, org_a, owner_a):
    with tenant_context(org=org_a):
        upcoming = factories.appointment(patient=people["jane"], provider=people["ada"])
        done = factories.appointment(patient=people["john"], provider=people["ada"], status="completed")
    response = admin_client.post(
        url(Appointment), {"action": "mark_confirmed", "_selected_action": [upcoming.pk, done.pk]}, follow=True
    )
    shown = [str(message) for message in response.context["messages"]]
    assert "1 appointment(s) marked as confirmed." in shown
    assert any("A completed appointment cannot become confirmed." in message for message in shown)
    with tenant_context(org=org_a):
        upcoming.refresh_from_db()
        done.refresh_from_db()
        assert (upcoming.status, done.status) == ("confirmed", "completed")
        assert list(upcoming.status_changes.values_list("to_status", "changed_by")) == [("confirmed", owner_a.pk)]


def test_the_status_is_not_a_form_field(admin_client, people, org_a):
    with tenant_context(org=org_a):
        appointment = factories.appointment(patient=people["jane"], provider=people["ada"])
    response = admin_client.get(url(Appointment, f"{appointment.pk}/change/"))
    assert "status" not in response.context["adminform"].form.fields
    assert "organization" not in response.context["adminform"].form.fields


def test_a_second_patient_may_have_the_same_phone(admin_client, people, org_a):
    data = {"first_name": "Jim", "last_name": "Doe", "date_of_birth": "1990-01-02", "phone": people["jane"].phone}
    assert admin_client.post(url(Patient, "add/"), data).status_code == 302
    with tenant_context(org=org_a):
        assert sorted(Patient.objects.filter(phone=people["jane"].phone).values_list("first_name", flat=True)) == [
            "Jane",
            "Jim",
        ]


def test_the_admin_stores_phones_in_e164(admin_client, org_a):
    data = {"first_name": "Jim", "last_name": "Doe", "date_of_birth": "1990-01-02", "phone": "+1 (212) 555-1234"}
    assert admin_client.post(url(Patient, "add/"), data).status_code == 302
    with tenant_context(org=org_a):
        assert Patient.objects.get().phone == "+12125551234"


@pytest.mark.parametrize(
    ("born", "message"),
    [("1899-12-31", "The date of birth is before 1900: check the year."), ("2999-01-01", "is in the future")],
)
def test_the_admin_refuses_an_impossible_birth_date(admin_client, org_a, born, message):
    data = {"first_name": "Jim", "last_name": "Doe", "date_of_birth": born, "phone": "+1 (212) 555-1234"}
    response = admin_client.post(url(Patient, "add/"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["date_of_birth"])
    with tenant_context(org=org_a):
        assert not Patient.objects.exists()


def test_a_duplicate_weekday_in_the_working_hours_is_a_form_error(admin_client, org_a):
    page = url(Provider, "add/")
    data = {"title": "Dr", "name": "Grace Hopper", "active": "on", **management_data(admin_client.get(page))}
    rows = [("0", "08:00", "12:00"), ("0", "13:00", "17:00")]
    data["working_hours-TOTAL_FORMS"] = str(len(rows))
    for index, (weekday, starts, ends) in enumerate(rows):
        data.update(
            {
                f"working_hours-{index}-{k}": v
                for k, v in zip(("weekday", "starts", "ends"), (weekday, starts, ends), strict=True)
            }
        )
    response = admin_client.post(page, data)
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.non_form_errors()
    with tenant_context(org=org_a):
        assert not Provider.objects.exists()
    data["working_hours-1-weekday"] = "1"
    assert admin_client.post(page, data).status_code == 302
    with tenant_context(org=org_a):
        assert sorted(Provider.objects.get().working_hours.values_list("weekday", flat=True)) == [0, 1]


def test_a_duplicate_type_name_is_a_form_error(admin_client, people):
    response = admin_client.post(
        url(people["checkup"].__class__, "add/"), {"name": "Check-up", "default_duration": "20", "colour": "#112233"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "This clinic already has an appointment type with this name."
    ]


def test_the_admin_shows_times_in_the_clinics_zone(admin_client, people, org_a):
    with tenant_context(org=org_a):
        appointment = factories.appointment(
            patient=people["jane"],
            provider=people["ada"],
            starts_at=dt.datetime(2030, 7, 1, 7, tzinfo=UTC),
            ends_at=dt.datetime(2030, 7, 1, 7, 30, tzinfo=UTC),
        )
    form = admin_client.get(url(Appointment, f"{appointment.pk}/change/")).context["adminform"].form
    assert form["starts_at"].value() == dt.datetime(2030, 7, 1, 9, tzinfo=org_a.zone)
    assert timezone.get_current_timezone_name() == "UTC"  # the override ended with the request
