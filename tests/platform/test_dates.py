"""Dates in the clinic's order: a London clinic reads and shows 20/12/1961, a New York
one 12/20/1961, on every staff page and in its emails; ISO (1961-12-20) is read
everywhere, and the API stays ISO 8601."""

from __future__ import annotations

import datetime as dt
import importlib
import zoneinfo

import pytest
from django.contrib.messages import get_messages
from django.utils import translation

from clinic.appointments.models import Appointment, Patient
from clinic.audit.models import AuditEvent
from clinic.audit.selectors import AuditFilterForm
from clinic.core.dates import locale_for_timezone
from clinic.messaging.forms import LogFilterForm
from tenancy.context import tenant_context
from tenancy.models import Invitation, Organization
from tenancy.services import organization_create
from tests.support import factories
from tests.support.api import ApiClient, make_key
from tests.support.invitations import invite
from tests.support.people import add_member, login, make_user

BIRTHDAY = dt.date(1961, 12, 20)


def clinic(name: str, zone: str):
    """A clinic as seed_demo and sign-up make one: its date order from its time zone."""
    owner = make_user(f"{name.lower()}_owner", first_name=name, last_name="Owner")
    org = organization_create(
        name=name, slug=name.lower(), timezone=zone, owner=owner, locale=locale_for_timezone(zone)
    )
    with tenant_context(org=org):
        patient = factories.patient(first_name="Ivy", last_name="Moss", date_of_birth=BIRTHDAY)
        factories.patient(first_name="Otto", last_name="Fern", date_of_birth=dt.date(1990, 3, 4))
        factories.patient(first_name="Ada", last_name="Wren", date_of_birth=dt.date(1990, 4, 3))
        provider = factories.provider(title="Dr", name="Rosa Lind")
        kind = factories.appointment_type(name="Check-up", default_duration=30)
    return org, owner, patient, provider, kind


@pytest.fixture
def london(db):
    return clinic("Lakeview", "Europe/London")


@pytest.fixture
def new_york(db):
    return clinic("Northside", "America/New_York")


def signed_in(client, org, owner):
    login(client, owner, org=org)
    return client


def found(client, query: str) -> str:
    """The patient list's results for `query`, searched as the page does (POST, redirect)."""
    response = client.post("/patients/", {"q": query})
    assert response.status_code == 303
    return client.get(response["Location"]).content.decode()


def test_the_order_comes_from_the_time_zones_country():
    assert locale_for_timezone("Europe/London") == "en-gb"
    assert locale_for_timezone("Europe/Berlin") == "en-gb"
    assert locale_for_timezone("Australia/Sydney") == "en-gb"
    assert locale_for_timezone("America/New_York") == "en-us"
    assert locale_for_timezone("Pacific/Honolulu") == "en-us"
    assert locale_for_timezone("America/Toronto") == "en-gb"  # Canada writes day first too
    assert locale_for_timezone("UTC") == "en-us"  # no country: the site's own


def test_the_migration_filled_existing_clinics_as_new_ones_are_filled():
    """tenancy/0015 keeps its own copy of the rule (a migration must not change with the
    app); both must give every zone of the tz database the same order."""
    migration = importlib.import_module("tenancy.migrations.0015_organization_locale")
    day_first = set(migration._day_first_zones())
    for zone in zoneinfo.available_timezones():
        expected = "en-gb" if zone in day_first else "en-us"
        assert locale_for_timezone(zone) == expected, zone


# --- the patient search -------------------------------------------------------------


def test_london_finds_a_birth_date_typed_day_first(client, london):
    org, owner, *_ = london
    body = found(signed_in(client, org, owner), "20/12/1961")
    assert "Moss, Ivy" in body
    assert "20/12/1961" in body  # and shows it that way
    assert "Moss, Ivy" in found(client, "1961-12-20")  # ISO everywhere
    assert "Moss, Ivy" in found(client, "20.12.1961")
    assert "Moss, Ivy" not in found(client, "12/20/1961")


def test_new_york_finds_a_birth_date_typed_month_first(client, new_york):
    org, owner, *_ = new_york
    body = found(signed_in(client, org, owner), "12/20/1961")
    assert "Moss, Ivy" in body
    assert "12/20/1961" in body
    assert "Moss, Ivy" in found(client, "1961-12-20")
    assert "Moss, Ivy" not in found(client, "20/12/1961")


def test_an_ambiguous_date_is_read_in_the_clinics_order(client, london, new_york):
    body = found(signed_in(client, london[0], london[1]), "03/04/1990")
    assert "Wren, Ada" in body and "Fern, Otto" not in body  # 3 April
    other = client.__class__()
    body = found(signed_in(other, new_york[0], new_york[1]), "03/04/1990")
    assert "Fern, Otto" in body and "Wren, Ada" not in body  # March 4


def test_the_api_searches_in_the_clinics_order_and_answers_in_iso(london):
    org, *_ = london
    api = ApiClient(make_key(org))
    for typed in ("20/12/1961", "1961-12-20"):
        response = api.post("patients/search/", {"q": typed})
        assert response.status_code == 200, response.json()
        assert [row["date_of_birth"] for row in response.json()["results"]] == ["1961-12-20"]


def test_the_api_reads_and_writes_birth_dates_in_iso_only(london):
    org, *_ = london
    api = ApiClient(make_key(org))
    patient = {"first_name": "Mo", "last_name": "Reed", "phone": "+44 20 7946 0123"}
    refused = api.post("patients/", {**patient, "date_of_birth": "20/12/1961"})
    assert refused.status_code == 400
    assert "date_of_birth" in refused.json()["error"]["fields"]
    created = api.post("patients/", {**patient, "date_of_birth": "1961-12-20"})
    assert created.status_code == 201, created.json()
    assert created.json()["date_of_birth"] == "1961-12-20"


# --- the staff pages' date inputs -------------------------------------------------------


def new_patient(date_of_birth: str) -> dict:
    return {"first_name": "Mo", "last_name": "Reed", "date_of_birth": date_of_birth, "phone": "+44 20 7946 0123"}


def born(org, last_name: str = "Reed") -> dt.date:
    with tenant_context(org=org):
        return Patient.objects.get(last_name=last_name).date_of_birth


def test_the_patient_form_reads_and_shows_the_birth_date_in_the_clinics_order(client, london, new_york):
    org, owner, *_ = london
    signed_in(client, org, owner)
    form = client.get("/patients/new/").content.decode()
    assert 'placeholder="dd/mm/yyyy"' in form and 'type="date"' not in form
    response = client.post("/patients/new/", new_patient("03/04/1990"))
    assert response.status_code == 302, response.context["form"].errors
    assert born(org) == dt.date(1990, 4, 3)
    page = client.get(response["Location"]).content.decode()
    assert "Born 03/04/1990" in page
    with tenant_context(org=org):
        pk = Patient.objects.get(last_name="Reed").pk
    assert 'value="03/04/1990"' in client.get(f"/patients/{pk}/edit/").content.decode()

    other = client.__class__()
    signed_in(other, new_york[0], new_york[1])
    assert 'placeholder="mm/dd/yyyy"' in other.get("/patients/new/").content.decode()
    assert other.post("/patients/new/", new_patient("03/04/1990")).status_code == 302
    assert born(new_york[0]) == dt.date(1990, 3, 4)


def test_a_date_not_in_the_clinics_order_is_refused_with_the_order_it_expects(client, new_york):
    org, owner, *_ = new_york
    response = signed_in(client, org, owner).post("/patients/new/", new_patient("20/12/1961"))
    assert response.status_code == 200
    assert response.context["form"].errors["date_of_birth"] == ["Enter the date as mm/dd/yyyy (or as yyyy-mm-dd)."]
    assert client.post("/patients/new/", new_patient("1961-12-20")).status_code == 302
    assert born(org) == BIRTHDAY


def test_the_appointment_form_reads_the_day_in_the_clinics_order(client, london):
    org, owner, patient, provider, kind = london
    signed_in(client, org, owner)
    form = client.get("/appointments/new/?date=2030-04-03").content.decode()
    assert 'value="03/04/2030"' in form and 'placeholder="dd/mm/yyyy"' in form
    data = {"patient": patient.pk, "provider": provider.pk, "appointment_type": kind.pk}
    response = client.post("/appointments/new/", {**data, "date": "03/04/2030", "start_time": "09:00", "save": "1"})
    assert response.status_code == 302, response.context["form"].errors
    with tenant_context(org=org):
        [appointment] = Appointment.objects.all()
    assert appointment.starts_at.astimezone(org.zone).date() == dt.date(2030, 4, 3)
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "on Wed 3 Apr, 09:00" in message
    detail = client.get(f"/appointments/{appointment.pk}/").content.decode()
    assert "Wednesday 3 April 2030" in detail


def test_the_schedule_goes_to_a_day_typed_in_the_clinics_order(client, london, new_york):
    org, owner, *_ = london
    page = signed_in(client, org, owner).get("/", {"date": "03/04/2030"}).content.decode()
    assert "Wednesday 3 April 2030" in page
    assert 'id="schedule-date"' in page and 'value="03/04/2030"' in page
    assert 'href="?date=2030-04-04" rel="next"' in page  # links stay ISO
    other = client.__class__()
    page = signed_in(other, new_york[0], new_york[1]).get("/", {"date": "03/04/2030"}).content.decode()
    assert "Monday, March 4, 2030" in page


def test_a_day_the_schedule_cannot_read_names_the_clinics_order(client, new_york):
    org, owner, *_ = new_york
    response = signed_in(client, org, owner).get("/", {"date": "20/12/2030"})
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "(use mm/dd/yyyy)" in message


@pytest.mark.parametrize(
    ("locale", "typed", "day"),
    [("en-gb", "03/04/2030", dt.date(2030, 4, 3)), ("en-us", "03/04/2030", dt.date(2030, 3, 4))],
)
def test_the_audit_and_sms_log_filters_read_the_clinics_order(locale, typed, day):
    with translation.override(locale):
        audit = AuditFilterForm({"date_from": typed, "date_to": "2030-05-01"}, members=[])
        assert audit.is_valid(), audit.errors
        assert (audit.cleaned_data["date_from"], audit.cleaned_data["date_to"]) == (day, dt.date(2030, 5, 1))
        log = LogFilterForm({"date_from": typed})
        assert log.is_valid(), log.errors
        assert log.cleaned_data["date_from"] == day
        assert f'value="{typed}"' in str(log["date_from"])


def test_the_audit_page_filters_by_a_day_typed_day_first(client, london):
    org, owner, *_ = london
    with tenant_context(org=org):
        factories.audit_event(object_type="old", at="2020-01-02T12:00:00+00:00")
    response = signed_in(client, org, owner).get("/audit/", {"date_from": "02/01/2020", "date_to": "02/01/2020"})
    assert [event.object_type for event in response.context["page"].object_list] == ["old"]
    assert "02/01/2020" in response.content.decode()


# --- the clinic's setting -----------------------------------------------------------------


def test_managers_change_the_date_order_on_the_setup_page(client, london):
    org, owner, *_ = london
    signed_in(client, org, owner)
    assert 'value="en-gb" selected' in client.get("/setup/").content.decode()
    response = client.post("/setup/date-order/", {"locale": "en-us"})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Lakeview now types and shows dates as mm/dd/yyyy."
    ]
    with tenant_context(org=org):
        assert Organization.objects.get(pk=org.pk).locale == "en-us"
        event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, object_id=org.pk)
    assert event.changed_fields == ["locale"]
    assert "12/20/1961" in found(client, "12/20/1961")


def test_an_unknown_date_order_is_refused(client, london):
    org, owner, *_ = london
    response = signed_in(client, org, owner).post("/setup/date-order/", {"locale": "fr-fr"})
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Choose a date order:")
    with tenant_context(org=org):
        assert Organization.objects.get(pk=org.pk).locale == "en-gb"


def test_staff_cannot_change_the_date_order(client, london):
    org, *_ = london
    staff = make_user("lakeview_staff")
    add_member(org, staff)
    response = signed_in(client, org, staff).post("/setup/date-order/", {"locale": "en-us"})
    assert response.status_code == 404
    with tenant_context(org=org):
        assert Organization.objects.get(pk=org.pk).locale == "en-gb"


# --- emails ------------------------------------------------------------------------------


def test_the_invitation_mail_shows_its_expiry_in_the_clinics_order(client, london, on_commit, mailoutbox):
    org, owner, *_ = london
    assert invite(signed_in(client, org, owner), on_commit, "new@example.test", "staff").status_code == 302
    [mail] = mailoutbox
    with tenant_context(org=org):
        invitation = Invitation.objects.get(email="new@example.test")
    local = invitation.expires_at.astimezone(org.zone)
    assert f"works until {local.day} {local:%B %Y}, {local:%H:%M} {local:%Z}" in " ".join(mail.body.split())
