"""The SMS settings page: owners and admins only, saved through the service, the
model's checks shown on the fields, and a preview of what patients read."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.messaging.forms import format_lead_hours, parse_lead_hours
from clinic.messaging.models import SmsSettings
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.people import login
from tests.support.sms import TEMPLATE, form_data


@pytest.fixture
def as_owner(client, org_a, owner_a):
    login(client, owner_a, org=org_a)
    return client


def settings_of(org) -> SmsSettings | None:
    with tenant_context(org=org):
        return SmsSettings.objects.first()


def errors(response) -> dict:
    assert response.status_code == 200
    return response.context["form"].errors


def test_staff_get_a_404(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    assert client.get("/sms/settings/").status_code == 404
    assert client.post("/sms/settings/", form_data()).status_code == 404
    assert settings_of(org_a) is None
    assert "/sms/settings/" not in client.get("/sms/").content.decode()


def test_the_page_shows_the_defaults_the_placeholders_and_a_preview(as_owner, org_a):
    response = as_owner.get("/sms/settings/")
    body = response.content.decode()
    assert response.context["form"].initial["lead_hours"] == "48, 2"
    assert "Confirmation texts are <strong>off</strong>" in body
    for placeholder in ("{first_name}", "{clinic}", "{date}", "{time}", "{link}", "{clinic_phone}"):
        assert f"<code>{placeholder}</code>" in body
    assert response.context["preview"].startswith("Clinic A: Alex's visit ")
    assert "/c/EEEE" in response.context["preview"]


def test_the_default_text_fits_one_gsm7_segment_and_the_page_says_so(as_owner):
    response = as_owner.get("/sms/settings/")
    counted = response.context["segments"]
    assert (counted.encoding, counted.count) == ("GSM-7", 1)
    assert counted.length == len(response.context["preview"]) <= 160
    body = response.content.decode()
    assert f"<span data-segments-length>{counted.length}</span>" in body
    assert "<strong data-segments-count>1 segment</strong>" in body
    assert 'src="/static/js/sms-segments.js"' in body


def test_the_segment_count_is_of_the_text_being_edited(as_owner):
    response = as_owner.post("/sms/settings/", form_data(template="{link} " + "€" * 100, sender_number="bad"))
    counted = response.context["segments"]
    assert (counted.encoding, counted.count) == ("GSM-7", 2)  # each € counts twice
    response = as_owner.post("/sms/settings/", form_data(template="{link} Привет", sender_number="bad"))
    assert response.context["segments"].encoding == "UCS-2"
    assert "<span data-segments-encoding>UCS-2</span>" in response.content.decode()


def test_an_owner_saves_the_settings(as_owner, org_a):
    response = as_owner.post("/sms/settings/", form_data())
    assert response["Location"] == "/sms/settings/"
    stored = settings_of(org_a)
    assert stored.enabled
    assert stored.sender_number == "+12025550142"
    assert stored.lead_minutes == [2880, 120]
    assert (stored.send_from, stored.send_until) == (dt.time(8), dt.time(20, 30))
    assert stored.template == TEMPLATE
    page = as_owner.get("/sms/settings/")
    assert page.context["preview"].startswith("Hi Alex, Clinic A on ")
    assert "Questions? +1 202-555-0142" in page.context["preview"]
    assert "sent from +1 202-555-0142" in page.content.decode()


def test_an_admin_may_change_the_settings_too(client, org_a):
    from tests.support.people import add_member, make_user

    admin = make_user("ada_admin")
    add_member(org_a, admin, "admin")
    login(client, admin, org=org_a)
    assert client.post("/sms/settings/", form_data(lead_hours="24")).status_code == 302
    assert settings_of(org_a).lead_minutes == [1440]


def test_another_clinics_sender_number_is_a_field_error(as_owner, org_a, org_b):
    with tenant_context(org=org_b):
        factories.sms_settings(sender_number="+12025550142")
    response = as_owner.post("/sms/settings/", form_data(sender_number="(202) 555-0142"))
    assert errors(response)["sender_number"] == ["Another clinic already uses this sender number."]
    assert settings_of(org_a) is None
    # The request's transaction survived the refused insert: the page still renders.
    assert "Save settings" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("template", "Hi {first_name}, see {link} {doctor}", "Unknown placeholder doctor"),
        ("template", "Hi {first_name}, please confirm", "must contain {link}"),
        ("template", "Hi {first_name {link}", "stray brace"),
        ("send_until", "07:00", "The sending window must end after it starts"),
        ("sender_number", "not a number", "Enter a phone number"),
        ("clinic_phone", "+1 555 000", "is not a valid phone number"),
        ("lead_hours", "two days", "is not a number of hours"),
        ("lead_hours", "0.1", "between 0.25 hours (15 minutes) and 336 hours (14 days)"),
        ("lead_hours", "72, 48, 24, 2, 1", "At most 4 lead times."),
    ],
)
def test_invalid_settings_are_field_errors(as_owner, org_a, field, value, message):
    response = as_owner.post("/sms/settings/", form_data(**{field: value}))
    assert message in " ".join(errors(response)[field])
    assert settings_of(org_a) is None


def test_texts_need_a_sender_number_to_be_enabled(as_owner, org_a):
    response = as_owner.post("/sms/settings/", form_data(sender_number=""))
    assert errors(response)["sender_number"] == ["A clinic needs a sender number before texts can be enabled."]
    assert as_owner.post("/sms/settings/", form_data(sender_number="", enabled="")).status_code == 302
    assert settings_of(org_a).enabled is False


def test_a_posted_organization_is_ignored(as_owner, org_a, org_b):
    as_owner.post("/sms/settings/", {**form_data(), "organization": org_b.id})
    assert settings_of(org_a).sender_number == "+12025550142"
    assert settings_of(org_b) is None


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("48, 2", [2880, 120]), ("2 48", [2880, 120]), ("1.5h; 24", [1440, 90]), ("", []), ("24, 24", [1440])],
)
def test_lead_times_are_typed_in_hours(text, minutes):
    assert parse_lead_hours(text) == minutes


def test_lead_times_are_shown_in_hours():
    assert format_lead_hours([120, 2880, 90]) == "48, 2, 1.5"
