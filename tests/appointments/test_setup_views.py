"""The setup pages (providers, working hours, appointment types): owners and admins
only, validated by the models, and another clinic's providers and types out of reach."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from clinic.appointments import services
from clinic.appointments.models import AppointmentType, Provider, WorkingHours
from clinic.staff.views import setup
from clinic.staff.views.setup import hours_summary
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.people import add_member, login, make_user


@pytest.fixture
def as_owner(client, org_a, owner_a):
    login(client, owner_a, org=org_a)
    return client


def providers(org) -> list[Provider]:
    with tenant_context(org=org):
        return list(Provider.objects.order_by("name"))


def types(org) -> list[AppointmentType]:
    with tenant_context(org=org):
        return list(AppointmentType.objects.order_by("name"))


def hours_of(provider) -> dict[int, tuple[dt.time, dt.time]]:
    with tenant_context(org=provider.organization_id):
        return {h.weekday: (h.starts, h.ends) for h in WorkingHours.objects.filter(provider=provider)}


def week(**days) -> dict:
    """Form data: every day off, except `mon=("08:00", "16:00")` and so on."""
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    data = {}
    for number, name in enumerate(names):
        starts, ends = days.get(name, ("", ""))
        if name in days:
            data[f"works_{number}"] = "on"
        data[f"starts_{number}"], data[f"ends_{number}"] = starts, ends
    return data


def setup_urls(provider, kind) -> list[str]:
    return [
        "/setup/",
        "/setup/providers/new/",
        f"/setup/providers/{provider.pk}/edit/",
        f"/setup/providers/{provider.pk}/hours/",
        "/setup/types/new/",
        f"/setup/types/{kind.pk}/edit/",
    ]


# --- access -------------------------------------------------------------------------------


def test_staff_members_cannot_reach_setup(client, org_a, staff_a, people_a):
    login(client, staff_a, org=org_a)
    for url in setup_urls(people_a.ada, people_a.checkup):
        assert client.get(url).status_code == 404
    assert client.post("/setup/providers/new/", {"name": "Sneaky"}).status_code == 404
    assert client.post(f"/setup/providers/{people_a.ada.pk}/active/", {"active": "false"}).status_code == 404
    assert [p.active for p in providers(org_a)] == [True, True]
    assert "Sneaky" not in [p.name for p in providers(org_a)]


def test_admins_can_reach_setup(client, org_a, people_a):
    admin = make_user("ada_admin")
    add_member(org_a, admin, role="admin")
    login(client, admin, org=org_a)
    for url in setup_urls(people_a.ada, people_a.checkup):
        assert client.get(url).status_code == 200


def test_setup_needs_a_login(client, db):
    assert client.get("/setup/")["Location"] == "/accounts/login/?next=/setup/"


@pytest.mark.parametrize("suffix", ["edit/", "hours/"])
def test_another_clinics_provider_is_a_404(as_owner, people_b, suffix):
    url = f"/setup/providers/{people_b.ada.pk}/{suffix}"
    assert as_owner.get(url).status_code == 404
    assert as_owner.post(url, {"name": "Taken over", **week(mon=("08:00", "09:00"))}).status_code == 404
    assert as_owner.post(f"/setup/providers/{people_b.ada.pk}/active/", {"active": "false"}).status_code == 404
    theirs = [p for p in providers(people_b.org) if p.pk == people_b.ada.pk][0]
    assert (theirs.name, theirs.active, hours_of(theirs)) == ("OtherAda Lovelace", True, {})


def test_another_clinics_type_is_a_404(as_owner, people_b):
    url = f"/setup/types/{people_b.checkup.pk}/edit/"
    assert as_owner.get(url).status_code == 404
    assert as_owner.post(url, {"name": "Taken over", "default_duration": 10, "colour": "#000000"}).status_code == 404
    assert [t.name for t in types(people_b.org)] == ["OtherCheck-up"]


def test_the_setup_page_lists_this_clinics_providers_and_types_only(as_owner, people_a, people_b):
    with tenant_context(org=people_a.org):
        for weekday in range(4):
            factories.working_hours(provider=people_a.ada, weekday=weekday, starts=dt.time(9), ends=dt.time(17))
        factories.working_hours(provider=people_a.ada, weekday=4, starts=dt.time(9), ends=dt.time(13))
    body = as_owner.get("/setup/").content.decode()
    assert "Dr Ada Lovelace" in body and "Check-up" in body
    assert "Mon–Thu 09:00–17:00" in body and "Fri 09:00–13:00" in body
    assert "OtherAda" not in body and "OtherCheck-up" not in body


# --- providers ----------------------------------------------------------------------------


def test_an_owner_adds_a_provider(as_owner, org_a):
    data = {"title": "Dr", "name": "Mae Jemison", "specialty": "Family medicine", "active": "on"}
    response = as_owner.post("/setup/providers/new/", data)
    assert response["Location"] == "/setup/"
    [provider] = providers(org_a)
    assert (provider.display_name, provider.specialty, provider.active) == ("Dr Mae Jemison", "Family medicine", True)


def test_a_provider_needs_a_name(as_owner, org_a):
    response = as_owner.post("/setup/providers/new/", {"title": "Dr"})
    assert response.context["form"].errors["name"] == ["This field is required."]
    assert providers(org_a) == []


def test_a_posted_organization_is_ignored(as_owner, org_a, org_b):
    as_owner.post("/setup/providers/new/", {"name": "Mae Jemison", "active": "on", "organization": org_b.id})
    as_owner.post(
        "/setup/types/new/", {"name": "Scan", "default_duration": 15, "colour": "#123456", "organization": org_b.id}
    )
    assert [p.organization_id for p in providers(org_a)] == [org_a.id]
    assert [t.organization_id for t in types(org_a)] == [org_a.id]
    assert providers(org_b) == [] and types(org_b) == []


def test_an_owner_edits_a_provider(as_owner, people_a):
    data = {"title": "Prof", "name": "Ada King", "specialty": "Maths", "active": "on"}
    as_owner.post(f"/setup/providers/{people_a.ada.pk}/edit/", data)
    assert [p.display_name for p in providers(people_a.org)] == ["Prof Ada King", "Dr Grace Hopper"]


def test_a_provider_is_deactivated_and_activated_again(as_owner, people_a):
    url = f"/setup/providers/{people_a.grace.pk}/active/"
    as_owner.post(url, {"active": "false"})
    assert [p.active for p in providers(people_a.org)] == [True, False]
    assert f'value="{people_a.grace.pk}"' not in as_owner.get("/appointments/new/").content.decode()
    as_owner.post(url, {"active": "true"})
    assert [p.active for p in providers(people_a.org)] == [True, True]
    assert as_owner.get(url).status_code == 405


# --- working hours ------------------------------------------------------------------------


def test_working_hours_are_set_per_weekday(as_owner, people_a):
    url = f"/setup/providers/{people_a.ada.pk}/hours/"
    as_owner.post(url, week(mon=("08:00", "16:00"), fri=("09:00", "13:00")))
    assert hours_of(people_a.ada) == {0: (dt.time(8), dt.time(16)), 4: (dt.time(9), dt.time(13))}
    as_owner.post(url, week(mon=("08:30", "16:00")))  # Friday off now
    assert hours_of(people_a.ada) == {0: (dt.time(8, 30), dt.time(16))}
    body = as_owner.get(url).content.decode()
    assert 'name="works_0" id="id_works_0" checked' in body
    assert 'value="08:30"' in body


def test_working_hours_must_end_after_they_start(as_owner, people_a):
    response = as_owner.post(f"/setup/providers/{people_a.ada.pk}/hours/", week(tue=("17:00", "09:00")))
    assert response.context["form"].errors["ends_1"] == ["Working hours must end after they start."]
    assert hours_of(people_a.ada) == {}


def test_a_working_day_needs_both_times(as_owner, people_a):
    response = as_owner.post(f"/setup/providers/{people_a.ada.pk}/hours/", week(wed=("09:00", "")))
    assert "ends_2" in response.context["form"].errors
    assert hours_of(people_a.ada) == {}


def test_the_schedule_shows_working_hours(as_owner, people_a):
    as_owner.post(f"/setup/providers/{people_a.ada.pk}/hours/", week(mon=("07:30", "15:00")))
    body = as_owner.get("/?date=2030-03-04").content.decode()  # a Monday
    assert "07:30–15:00" in body
    assert "07:00" in body  # the grid starts early enough


def test_hours_are_summarised_by_runs_of_days():
    def h(weekday, starts, ends):
        return WorkingHours(weekday=weekday, starts=dt.time(starts), ends=dt.time(ends))

    hours = [h(0, 9, 17), h(1, 9, 17), h(2, 9, 17), h(4, 9, 17), h(5, 9, 12)]
    assert hours_summary(hours) == ["Mon–Wed 09:00–17:00", "Fri 09:00–17:00", "Sat 09:00–12:00"]


# --- appointment types --------------------------------------------------------------------


def test_an_owner_adds_a_type_with_a_colour_and_length(as_owner, org_a):
    data = {"name": "Vaccination", "default_duration": 15, "colour": "#D07A2B", "active": "on"}
    assert as_owner.post("/setup/types/new/", data)["Location"] == "/setup/"
    [kind] = types(org_a)
    assert (kind.name, kind.default_duration, kind.colour, kind.active) == ("Vaccination", 15, "#d07a2b", True)


def test_a_type_name_is_unique_in_the_clinic_only(as_owner, people_a, people_b):
    response = as_owner.post("/setup/types/new/", {"name": "Check-up", "default_duration": 30, "colour": "#123456"})
    assert "already has an appointment type with this name" in str(response.context["form"].errors)
    as_owner.post("/setup/types/new/", {"name": "OtherCheck-up", "default_duration": 30, "colour": "#123456"})
    assert [t.name for t in types(people_a.org)] == ["Check-up", "OtherCheck-up"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("default_duration", 2), ("default_duration", 600), ("colour", "red"), ("colour", "#12345")],
)
def test_a_type_needs_a_sensible_length_and_colour(as_owner, org_a, field, value):
    data = {"name": "Scan", "default_duration": 30, "colour": "#123456", field: value}
    response = as_owner.post("/setup/types/new/", data)
    assert field in response.context["form"].errors
    assert types(org_a) == []


def test_an_inactive_type_cannot_be_booked(as_owner, people_a):
    data = {"name": "Check-up", "default_duration": 30, "colour": "#3b82f6"}  # active unticked
    as_owner.post(f"/setup/types/{people_a.checkup.pk}/edit/", data)
    assert [t.active for t in types(people_a.org)] == [False]
    assert f'value="{people_a.checkup.pk}"' not in as_owner.get("/appointments/new/").content.decode()


# --- the write path -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "page", "data"),
    [
        ("provider_create", "/setup/providers/new/", {"name": "Mae Jemison", "active": "on"}),
        ("provider_update", "/setup/providers/{ada}/edit/", {"name": "Ada King", "active": "on"}),
        ("provider_set_active", "/setup/providers/{ada}/active/", {"active": "false"}),
        ("working_hours_set", "/setup/providers/{ada}/hours/", week(mon=("08:00", "16:00"))),
        ("appointment_type_create", "/setup/types/new/", {"name": "Scan", "default_duration": 15, "colour": "#123456"}),
        (
            "appointment_type_update",
            "/setup/types/{checkup}/edit/",
            {"name": "Scan", "default_duration": 15, "colour": "#123456"},
        ),
    ],
)
def test_each_setup_page_writes_through_its_service(as_owner, people_a, service, page, data):
    real = getattr(services, service)
    with mock.patch.object(setup, service, wraps=real) as spy:
        response = as_owner.post(page.format(ada=people_a.ada.pk, checkup=people_a.checkup.pk), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert spy.call_count == 1


def test_a_refusal_by_the_service_shows_on_the_form(as_owner, people_a):
    refusal = ValidationError("Working hours must end after they start.")
    with mock.patch.object(setup, "working_hours_set", side_effect=refusal):
        response = as_owner.post(f"/setup/providers/{people_a.ada.pk}/hours/", week(mon=("08:00", "16:00")))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Working hours must end after they start."]
