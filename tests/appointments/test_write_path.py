"""One write path: the staff pages and the admin change appointments, patients,
providers, working hours and types only through clinic.appointments.services. Each
appointment change is announced once (appointment_changed) and recorded in the status
history with the surface that made it (`via`)."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.contrib.messages import get_messages

from clinic.appointments import admin as appointments_admin
from clinic.appointments import services, signals
from clinic.appointments.models import Appointment, AppointmentType, Patient, Provider
from clinic.core.timezones import localize
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.people import login
from tests.support.two_factor import sign_in_with_code

DAY = dt.date(2030, 3, 4)  # a Monday
UTC = dt.UTC


@pytest.fixture
def announced():
    """The appointment_changed signals sent, as a receiver sees them."""
    sent = []

    def receiver(sender, **kwargs) -> None:
        sent.append(kwargs)

    signals.appointment_changed.connect(receiver, weak=False, dispatch_uid="test_write_path")
    yield sent
    signals.appointment_changed.disconnect(dispatch_uid="test_write_path")


@pytest.fixture
def as_admin(client, owner_a, org_a):
    owner_a.is_staff = True
    owner_a.save()
    sign_in_with_code(client, owner_a, org_a)
    return client


@pytest.fixture
def as_staff(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    return client


def book(people, *, patient=None, time="09:00", status=None) -> Appointment:
    with tenant_context(org=people.org):
        appointment = services.appointment_book(
            patient=patient or people.jane,
            provider=people.ada,
            appointment_type=people.checkup,
            starts_at=localize(DAY, dt.time.fromisoformat(time), people.org.zone),
            booked_by=None,
        )
        if status:
            services.appointment_set_status(appointment=appointment, status=status, changed_by=None)
        return appointment


def history(appointment) -> list[tuple[str, str, str]]:
    with tenant_context(org=appointment.organization_id):
        return list(appointment.status_changes.values_list("from_status", "to_status", "via"))


def summary(sent: list[dict]) -> list[tuple[str, str]]:
    return [(signal["change"], signal["via"]) for signal in sent]


def admin_url(model, suffix: str = "") -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{suffix}"


def admin_post(client, model, suffix: str, data: dict):
    """Post an admin form with the management data of its inlines, as the page would."""
    page = admin_url(model, suffix)
    response = client.get(page)
    for inline in response.context["inline_admin_formsets"]:
        form = inline.formset.management_form
        data = {**{form.add_prefix(name): value for name, value in form.initial.items()}, **data}
    return client.post(page, data)


def appointment_data(people, *, patient=None, time="09:00", ends=("", "")) -> dict:
    return {
        "patient": (patient or people.jane).pk,
        "provider": people.ada.pk,
        "appointment_type": people.checkup.pk,
        "starts_at_0": DAY.isoformat(),
        "starts_at_1": time,
        "ends_at_0": ends[0],
        "ends_at_1": ends[1],
        "notes": "",
    }


# --- the admin ------------------------------------------------------------------------------


def test_an_admin_booking_is_recorded_as_the_admins(as_admin, people_a, announced):
    response = admin_post(as_admin, Appointment, "add/", appointment_data(people_a))
    assert response.status_code == 302, response.context["adminform"].form.errors
    with tenant_context(org=people_a.org):
        appointment = Appointment.objects.get()
    assert response["Location"].endswith("/admin/appointments/appointment/")
    assert history(appointment) == [("", "scheduled", "admin")]
    assert summary(announced) == [("booked", "admin")]
    assert announced[0]["appointment"] == appointment


def test_an_admin_move_is_recorded_as_the_admins(as_admin, people_a, announced):
    appointment = book(people_a, status="confirmed")
    announced.clear()
    data = appointment_data(people_a, time="11:00", ends=(DAY.isoformat(), "11:30"))
    response = admin_post(as_admin, Appointment, f"{appointment.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert history(appointment)[-1] == ("confirmed", "scheduled", "admin")
    assert summary(announced) == [("updated", "admin")]
    assert (announced[0]["changed_fields"], announced[0]["previous_status"]) == (("ends_at", "starts_at"), "confirmed")


def test_the_admin_leaves_the_end_to_the_service(as_admin, people_a):
    appointment = book(people_a)  # 09:00-09:30 in Berlin
    data = appointment_data(people_a, time="10:00", ends=(DAY.isoformat(), "09:30"))  # end as shown
    with mock.patch.object(appointments_admin, "appointment_update", wraps=services.appointment_update) as spy:
        assert admin_post(as_admin, Appointment, f"{appointment.pk}/change/", data).status_code == 302
    assert set(spy.call_args.kwargs) == {"appointment", "changed_by", "via", "starts_at"}
    with tenant_context(org=people_a.org):
        appointment.refresh_from_db()
    assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=30)


def test_an_emptied_end_in_the_admin_is_the_types_length(as_admin, people_a):
    appointment = book(people_a)
    with tenant_context(org=people_a.org):
        services.appointment_update(
            appointment=appointment, ends_at=appointment.starts_at + dt.timedelta(hours=1), changed_by=None
        )
    response = admin_post(as_admin, Appointment, f"{appointment.pk}/change/", appointment_data(people_a))
    assert response.status_code == 302, response.context["adminform"].form.errors
    with tenant_context(org=people_a.org):
        appointment.refresh_from_db()
    assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=30)


def test_an_admin_status_action_is_recorded_as_the_admins(as_admin, people_a, announced):
    appointment = book(people_a)
    announced.clear()
    action = {"action": "mark_confirmed", "_selected_action": [appointment.pk]}
    assert as_admin.post(admin_url(Appointment), action).status_code == 302
    assert history(appointment) == [("", "scheduled", "staff"), ("scheduled", "confirmed", "admin")]
    assert summary(announced) == [("status_changed", "admin")]


def test_a_slot_taken_while_the_admin_saves_is_shown_on_the_form(as_admin, people_a, announced):
    """The form found the slot free; by the time the service books, another desk has
    taken it. The page comes back naming that appointment, and nothing is kept."""

    def racing_book(**fields):
        services.appointment_book(**{**fields, "patient": people_a.john, "via": "staff"})
        return services.appointment_book(**fields)

    with mock.patch.object(appointments_admin, "appointment_book", side_effect=racing_book):
        response = admin_post(as_admin, Appointment, "add/", appointment_data(people_a))
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Dr Ada Lovelace already has John Roe at 09:00–09:30 (Europe/Berlin)"
    ]
    with tenant_context(org=people_a.org):
        assert not Appointment.objects.exists()  # the racing booking was this test's, and rolled back too


def test_a_refused_admin_change_is_shown_on_the_form(as_admin, people_a, announced):
    done = book(people_a, status="arrived")
    with tenant_context(org=people_a.org):
        services.appointment_set_status(appointment=done, status="completed", changed_by=None)
    announced.clear()
    data = appointment_data(people_a, time="15:00", ends=(DAY.isoformat(), "15:30"))
    response = admin_post(as_admin, Appointment, f"{done.pk}/change/", data)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Only the notes of a completed, cancelled or no-show appointment can change."
    ]
    assert announced == []


def test_appointments_are_cancelled_not_deleted_in_the_admin(as_admin, people_a):
    appointment = book(people_a)
    assert as_admin.get(admin_url(Appointment, f"{appointment.pk}/delete/")).status_code == 403
    action = {"action": "delete_selected", "_selected_action": [appointment.pk], "post": "yes"}
    as_admin.post(admin_url(Appointment), action)
    with tenant_context(org=people_a.org):
        assert Appointment.objects.filter(pk=appointment.pk).exists()


@pytest.mark.parametrize(
    ("model", "service", "data"),
    [
        (Patient, "patient_create", {"first_name": "Jim", "last_name": "Doe", "date_of_birth": "1990-01-02"}),
        (Provider, "provider_create", {"title": "Dr", "name": "Mae Jemison", "active": "on"}),
        (AppointmentType, "appointment_type_create", {"name": "Scan", "default_duration": "15", "colour": "#123456"}),
    ],
)
def test_the_admin_adds_through_the_services(as_admin, org_a, model, service, data):
    if model is Patient:
        data = {**data, "phone": "+12125551234"}
    with mock.patch.object(appointments_admin, service, wraps=getattr(services, service)) as spy:
        response = admin_post(as_admin, model, "add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert spy.call_count == 1
    with tenant_context(org=org_a):
        saved = model.objects.get()
    # The admin goes on with the saved object: "Change" links and messages name it.
    assert str(saved) in [str(message) for message in get_messages(response.wsgi_request)][0]


@pytest.mark.parametrize(
    ("model", "service", "data"),
    [
        (Patient, "patient_update", {"first_name": "Jim", "last_name": "Doe", "date_of_birth": "1990-01-02"}),
        (Provider, "provider_update", {"title": "Prof", "name": "Ada King", "active": "on"}),
        (AppointmentType, "appointment_type_update", {"name": "Scan", "default_duration": "15", "colour": "#123456"}),
    ],
)
def test_the_admin_changes_through_the_services(as_admin, people_a, model, service, data):
    existing = {Patient: people_a.jane, Provider: people_a.ada, AppointmentType: people_a.checkup}[model]
    if model is Patient:
        data = {**data, "phone": people_a.jane.phone}
    with mock.patch.object(appointments_admin, service, wraps=getattr(services, service)) as spy:
        response = admin_post(as_admin, model, f"{existing.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert spy.call_count == 1
    with tenant_context(org=people_a.org):
        existing.refresh_from_db()
    assert str(existing) in ("Jim Doe", "Prof Ada King", "Scan")


def test_the_admin_saves_a_providers_week_through_the_service(as_admin, org_a):
    rows = [("0", "08:00", "12:00"), ("2", "13:00", "17:00")]
    data = {"title": "Dr", "name": "Grace Hopper", "active": "on", "working_hours-TOTAL_FORMS": str(len(rows))}
    for index, values in enumerate(rows):
        data.update(
            {f"working_hours-{index}-{k}": v for k, v in zip(("weekday", "starts", "ends"), values, strict=True)}
        )
    with mock.patch.object(appointments_admin, "working_hours_set", wraps=services.working_hours_set) as spy:
        assert admin_post(as_admin, Provider, "add/", data).status_code == 302
    assert spy.call_count == 1
    with tenant_context(org=org_a):
        provider = Provider.objects.get()
        hours = provider.working_hours.order_by("weekday")
        week = [(h.weekday, h.starts, h.ends) for h in hours]
        assert week == [(0, dt.time(8), dt.time(12)), (2, dt.time(13), dt.time(17))]
        monday = hours.get(weekday=0)
    # Change Monday's end and delete Wednesday.
    page = admin_url(Provider, f"{provider.pk}/change/")
    form = as_admin.get(page).context["inline_admin_formsets"][0].formset
    data = {"title": "Dr", "name": "Grace Hopper", "active": "on"}
    data.update({form.management_form.add_prefix(k): v for k, v in form.management_form.initial.items()})
    for row in form.forms:
        data.update({row.add_prefix(k): v for k, v in (("id", row.instance.pk), ("provider", provider.pk))})
        data.update({row.add_prefix(k): getattr(row.instance, k) for k in ("weekday", "starts", "ends")})
        if row.instance.weekday == 2:
            data[row.add_prefix("DELETE")] = "on"
        else:
            data[row.add_prefix("ends")] = "12:30"
    response = as_admin.post(page, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    with tenant_context(org=org_a):
        assert [(h.pk, h.weekday, h.ends) for h in provider.working_hours.all()] == [(monday.pk, 0, dt.time(12, 30))]


def test_working_hours_are_read_only_in_their_own_admin(as_admin, org_a):
    with tenant_context(org=org_a):
        hours = factories.working_hours()
    assert as_admin.get(admin_url(type(hours), "add/")).status_code == 403
    page = as_admin.get(admin_url(type(hours), f"{hours.pk}/change/"))
    assert page.status_code == 200 and not page.context["adminform"].form.fields


# --- the staff pages ------------------------------------------------------------------------


def test_staff_page_changes_are_recorded_as_the_staffs(as_staff, people_a, announced):
    form = {
        "patient": people_a.jane.pk,
        "provider": people_a.ada.pk,
        "appointment_type": people_a.checkup.pk,
        "date": DAY.isoformat(),
        "start_time": "09:00",
        "end_time": "",
        "notes": "",
    }
    assert as_staff.post("/appointments/new/", form).status_code == 302
    with tenant_context(org=people_a.org):
        appointment = Appointment.objects.get()
    assert as_staff.post(f"/appointments/{appointment.pk}/status/", {"status": "confirmed"}).status_code == 302
    assert as_staff.post(f"/appointments/{appointment.pk}/edit/", {**form, "start_time": "10:00"}).status_code == 302
    assert as_staff.post(f"/appointments/{appointment.pk}/cancel/").status_code == 302
    assert history(appointment) == [
        ("", "scheduled", "staff"),
        ("scheduled", "confirmed", "staff"),
        ("confirmed", "scheduled", "staff"),
        ("scheduled", "cancelled", "staff"),
    ]
    assert summary(announced) == [
        ("booked", "staff"),
        ("status_changed", "staff"),
        ("updated", "staff"),
        ("status_changed", "staff"),
    ]


def test_a_refused_change_announces_nothing(as_staff, people_a, announced):
    appointment = book(people_a, status="cancelled")
    announced.clear()
    assert as_staff.post(f"/appointments/{appointment.pk}/status/", {"status": "completed"}).status_code == 302
    assert announced == []
    assert history(appointment)[-1] == ("scheduled", "cancelled", "staff")


def test_the_setup_pages_change_no_appointment(client, people_a, owner_a, announced):
    book(people_a)
    announced.clear()
    login(client, owner_a, org=people_a.org)
    assert client.post(f"/setup/providers/{people_a.ada.pk}/active/", {"active": "false"}).status_code == 302
    with tenant_context(org=people_a.org):
        assert Appointment.objects.get().status == "scheduled"  # kept, still scheduled
    assert announced == []
