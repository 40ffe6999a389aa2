"""The time zone box on the sign-up, patient, console and admin forms: the IANA
zones with friendly labels, suggested as one types, and what a person may type in it
(a zone in any case, a suggested label, a city)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.forms import ValidationError

from tenancy.context import tenant_context
from tenancy.models import Organization
from tenancy.zones import ZoneField, ZoneInput, resolve_zone, zone_label, zone_names


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("America/Chicago", "America/Chicago (Central Time)"),
        ("America/New_York", "America/New_York (Eastern Time)"),
        ("Asia/Shanghai", "Asia/Shanghai (China Standard Time)"),
        ("Asia/Kolkata", "Asia/Kolkata (India Standard Time)"),
        ("Europe/Berlin", "Europe/Berlin (Central European Time)"),
        ("Australia/Sydney", "Australia/Sydney (Eastern Australia Time)"),  # summer in January
        ("Asia/Kathmandu", "Asia/Kathmandu (UTC+05:45)"),
        ("America/Sao_Paulo", "America/Sao_Paulo (UTC−03:00)"),
    ],
)
def test_each_zone_has_a_friendly_label(zone, label):
    assert zone_label(zone) == label


def test_the_list_offers_the_regions_zones_and_utc_but_not_old_aliases():
    names = zone_names()
    assert names[0] == "UTC" and "America/Chicago" in names and "Pacific/Honolulu" in names
    assert "US/Central" not in names and "EST5EDT" not in names


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("America/Chicago", "America/Chicago"),
        ("america/chicago", "America/Chicago"),
        ("America/Chicago (Central Time)", "America/Chicago"),
        ("Chicago", "America/Chicago"),
        ("  new york ", "America/New_York"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),  # two names of one zone
        ("US/Central", "US/Central"),  # not suggested, still a zone
    ],
)
def test_a_zone_a_label_or_a_city_is_understood(typed, zone):
    assert ZoneField().clean(typed) == zone


def test_anything_else_gets_a_message_that_says_what_to_do():
    with pytest.raises(ValidationError) as refused:
        ZoneField().clean("Chicagoo")
    assert "“Chicagoo” is not a time zone we know. Type a city, such as Chicago" in str(refused.value)
    assert resolve_zone("Mars/Olympus") == []


def test_an_optional_box_may_stay_empty():
    assert ZoneField(required=False).clean("") == ""
    with pytest.raises(ValidationError, match="This field is required"):
        ZoneField().clean("")


def test_the_box_suggests_every_zone_with_its_label():
    html = ZoneInput(guess=True).render("timezone", "", {"id": "id_timezone"})
    assert 'list="id_timezone_zones"' in html and "data-guess-zone" in html
    assert '<datalist id="id_timezone_zones">' in html
    assert '<option value="America/Chicago">America/Chicago (Central Time)</option>' in html
    assert html.count("<option ") == len(zone_names())
    assert "data-guess-zone" not in ZoneInput().render("timezone", "", {"id": "id_timezone"})


@pytest.mark.django_db
def test_the_sign_up_page_offers_the_list_and_loads_the_guessing_script(client, settings):
    settings.ALLOW_SIGNUP = True
    page = client.get("/signup/").content.decode()
    assert 'list="id_timezone_zones"' in page and "data-guess-zone" in page
    assert '<option value="Europe/Dublin">Europe/Dublin (Irish Time)</option>' in page
    assert '<script src="/static/js/zone-guess.js" defer></script>' in page
    assert 'value="UTC"' not in page.split("<datalist")[0]  # the browser's zone, or the person's choice


@pytest.mark.django_db
def test_signing_up_with_a_city_makes_the_clinic_in_its_zone(client, settings):
    settings.ALLOW_SIGNUP = True
    data = {
        "clinic_name": "Lakeside Clinic",
        "timezone": "chicago",
        "email": "lee@example.test",
        "password": "a long enough passphrase 42",
    }
    assert client.post("/signup/", data).status_code == 200
    user = get_user_model().objects.get(email="lee@example.test")
    with tenant_context(user=user):
        assert Organization.objects.get(name="Lakeside Clinic").timezone == "America/Chicago"


@pytest.mark.django_db
def test_signing_up_with_an_unknown_zone_says_what_to_do(client, settings):
    settings.ALLOW_SIGNUP = True
    data = {"clinic_name": "X", "timezone": "Chicagoo", "email": "x@example.test", "password": "a long passphrase 42"}
    response = client.post("/signup/", data)
    assert response.status_code == 400
    assert "is not a time zone we know. Type a city, such as Chicago, and choose from the list." in (
        response.content.decode().replace("&quot;", '"')
    )
