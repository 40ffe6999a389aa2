"""The staff pages on a phone (390 px wide) and with long unbroken names: no page ever
scrolls sideways, the navigation folds into a menu, the day view shows one provider at
a time with a switcher, and the patients list and the SMS log turn into cards."""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from clinic.appointments.demo_data import DEMO_PASSWORD, NORTHSIDE
from clinic.messaging.demo import DEMO_NUMBERS
from tests.e2e.seed import HARBOUR, PASSWORD
from tests.support.browser import sign_in
from tests.support.database import manage_or_fail

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
LONG_PROVIDER = "Dr" + "x" * 118  # 120 characters, not one space
LONG_FIRST = "Bartholomew" * 9  # 99 characters
LONG_LAST = "Featherstonehaugh" * 5
LONG_TEXT = "Callmeback" * 16

# A webhook endpoint for Northside, whose page the phone visits; made as the API does.
NORTHSIDE_WEBHOOK = """
from django.test import override_settings
from clinic.api.webhooks.services import webhook_endpoint_create
from tenancy.context import tenant_context
from tenancy.lookups import organization_id_for_slug

with override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=True), tenant_context(org=organization_id_for_slug("northside")):
    endpoint, _ = webhook_endpoint_create(url="https://hooks.example.test/clinic", description="Front desk board")
print(endpoint.pk)
"""

# Harbour gets a provider, a type and a patient whose names are one long word each, and
# a second provider beside them; the appointment is tomorrow at 10:00 in Berlin.
HARBOUR_LONG_NAMES = """
import datetime as dt, json
from zoneinfo import ZoneInfo
from django.utils import timezone
from clinic.appointments.services import (
    appointment_book, appointment_type_create, patient_create, provider_create, working_hours_set,
)
from tenancy.context import tenant_context
from tenancy.lookups import organization_id_for_slug

zone = ZoneInfo("Europe/Berlin")
day = timezone.now().astimezone(zone).date() + dt.timedelta(days=1)
with tenant_context(org=organization_id_for_slug("harbour")):
    long = provider_create(name=[LONG_PROVIDER], specialty="Otorhinolaryngologicalspecialistconsultations" * 2)
    other = provider_create(name="Ines Brandt", title="Dr.")
    for provider in (long, other):
        working_hours_set(provider=provider, hours={weekday: (dt.time(8), dt.time(17)) for weekday in range(7)})
    kind = appointment_type_create(name="Comprehensiveaudiologicalassessment" * 2, default_duration=30)
    patient = patient_create(first_name=[LONG_FIRST], last_name=[LONG_LAST], date_of_birth=dt.date(1980, 1, 2),
                             phone="+4930123456789", notes="Prefers" * 40)
    visit = appointment_book(patient=patient, provider=long, appointment_type=kind,
                             starts_at=dt.datetime.combine(day, dt.time(10), zone), booked_by=None)
print(json.dumps({"day": day.isoformat(), "appointment": str(visit.pk), "patient": str(patient.pk)}))
"""


def page_width(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def fits(page, too_wide: list[str]) -> None:
    """Note the page when it is wider than the window, i.e. scrolls sideways."""
    page.wait_for_load_state("load")
    expect(page.locator("main")).to_be_visible()
    scroll, inner = page_width(page)
    if scroll > inner:
        too_wide.append(f"{page.url} is {scroll} px wide in a {inner} px window")


def visit(page, path: str, too_wide: list[str]) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    fits(page, too_wide)


def a_day_with_appointments(page) -> str:
    today = dt.datetime.now(ZoneInfo(NORTHSIDE.timezone)).date()
    for offset in (1, 2, 3, 4, 0, -1):
        day = (today + dt.timedelta(days=offset)).isoformat()
        page.goto(f"/?date={day}")
        if page.get_by_test_id("appointment").count() > 3:
            return day
    raise AssertionError("No demo day with appointments")


def first_href(page, name) -> str:
    return page.get_by_role("link", name=name).first.get_attribute("href")


@pytest.fixture
def phone(browser, e2e_server):
    """A fresh browser context at a phone's size."""
    context = browser.new_context(base_url=e2e_server, viewport=PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="module")
def harbour(e2e_env) -> dict:
    code = HARBOUR_LONG_NAMES
    for name, value in (("LONG_PROVIDER", LONG_PROVIDER), ("LONG_FIRST", LONG_FIRST), ("LONG_LAST", LONG_LAST)):
        code = code.replace(f"[{name}]", repr(value))
    return json.loads(manage_or_fail("shell", "-c", code, env=e2e_env).strip().splitlines()[-1])


@pytest.fixture(scope="module")
def northside_texts(e2e_server, e2e_env) -> None:
    """Texts in Northside's log and inbox: replies from a number no patient has."""
    for body in ("Is there parking near the clinic on Saturdays?", LONG_TEXT):
        manage_or_fail(
            "sms_simulate_reply",
            *("--url", e2e_server, "--to", DEMO_NUMBERS[NORTHSIDE.slug][0], "--from", "+12025550177"),
            *("--body", body),
            env=e2e_env,
        )


def test_no_staff_page_scrolls_sideways_on_a_phone(phone, e2e_env, northside_texts):
    too_wide: list[str] = []
    visit(phone, "/accounts/login/", too_wide)
    visit(phone, "/accounts/password_reset/", too_wide)
    sign_in(phone, "northside-owner", DEMO_PASSWORD)
    webhook = manage_or_fail("shell", "-c", NORTHSIDE_WEBHOOK, env=e2e_env).strip().splitlines()[-1]

    day = a_day_with_appointments(phone)
    assert phone.locator(".day-grid__head").count() >= 3
    fits(phone, too_wide)
    appointment = phone.get_by_test_id("appointment").first.get_by_role("link").first.get_attribute("href")
    visit(phone, f"/?date={day}", too_wide)
    for path in (appointment, f"{appointment}edit/", f"{appointment}cancel/", f"/appointments/new/?date={day}"):
        visit(phone, path, too_wide)

    visit(phone, "/patients/", too_wide)
    patient = first_href(phone, re.compile(r"^Martinez, Olivia"))
    visit(phone, "/patients/new/", too_wide)
    for path in (patient, f"{patient}edit/", f"{patient}export/", f"{patient}erase/"):
        visit(phone, path, too_wide)

    visit(phone, "/setup/", too_wide)
    provider_edit = phone.locator("a[href^='/setup/providers/'][href$='/edit/']").first.get_attribute("href")
    hours = phone.locator("a[href$='/hours/']").first.get_attribute("href")
    type_edit = phone.locator("a[href^='/setup/types/'][href$='/edit/']").first.get_attribute("href")
    for path in ("/setup/providers/new/", "/setup/types/new/", provider_edit, hours, type_edit):
        visit(phone, path, too_wide)

    for path in (
        "/sms/",
        "/sms/inbox/",
        "/sms/settings/",
        "/sms/settings/opt-outs/",
        "/members/",
        "/settings/security/",
        "/accounts/two-factor/",
        "/accounts/two-factor/setup/",
        "/accounts/password_change/",
        "/calendars/",
        "/settings/webhooks/",
        f"/settings/webhooks/{webhook}/",
        "/settings/api-keys/",
        "/audit/",
        "/clinic/close/",
    ):
        visit(phone, path, too_wide)
    phone.context.clear_cookies()
    sign_in(phone, "sam-staff", DEMO_PASSWORD)  # in two clinics: the picker
    expect(phone).to_have_url(re.compile(r"/clinics/$"))
    fits(phone, too_wide)
    assert too_wide == [], "\n".join(too_wide)


def test_the_menu_opens_on_a_phone_and_the_day_shows_one_provider_at_a_time(phone, screenshot):
    sign_in(phone, "northside-owner", DEMO_PASSWORD)
    day = a_day_with_appointments(phone)
    nav = phone.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Patients")).to_be_hidden()
    menu = phone.locator("summary", has_text="Menu")  # a disclosure: its role is the browser's own
    expect(menu).to_be_visible()
    bar = phone.locator(".site-header").bounding_box()
    assert bar["height"] < 140, "the folded header takes at most two short rows"
    menu.click()
    expect(nav.get_by_role("link", name="Patients")).to_be_visible()
    expect(phone.get_by_role("button", name="Sign out")).to_be_visible()
    menu.click()
    expect(nav.get_by_role("link", name="Patients")).to_be_hidden()

    # One provider's column at a time; the switcher names them all and shows another.
    switcher = phone.get_by_role("navigation", name="Provider shown")
    providers = switcher.get_by_role("link")
    expect(providers.first).to_be_visible()
    assert providers.count() == phone.locator(".day-grid__head").count() >= 3
    expect(phone.locator(".day-grid__head:visible")).to_have_count(1)
    expect(phone.locator(".day-grid__provider:visible")).to_have_text(providers.first.inner_text().strip())
    screenshot(phone, "day-view-phone")
    second_name = providers.nth(1).inner_text().strip()
    providers.nth(1).click()
    expect(phone).to_have_url(re.compile(rf"\?date={day}&provider=[0-9a-f-]+$"))
    expect(switcher.locator("[aria-current='true']")).to_have_text(second_name)
    shown = phone.locator(".day-grid__provider:visible")
    expect(shown).to_have_count(1)
    expect(shown).to_have_text(second_name)
    for block in phone.get_by_test_id("appointment").filter(visible=True).all():
        expect(block).to_contain_text(f"with {second_name}")
        box = block.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # The next day keeps the provider.
    phone.get_by_role("link", name="Next day").click()
    expect(switcher.locator("[aria-current='true']")).to_have_text(second_name)
    assert page_width(phone)[0] <= PHONE["width"]


def test_patients_and_the_sms_log_are_cards_on_a_phone(phone, screenshot, northside_texts):
    sign_in(phone, "northside-owner", DEMO_PASSWORD)
    phone.goto("/patients/")
    row = phone.get_by_role("row").filter(has_text="Martinez, Olivia")
    expect(row).to_be_visible()
    box = row.bounding_box()
    assert box["width"] <= PHONE["width"]
    # A card: name over birth date and phone, each labelled (the labels are the cells' own names too).
    expect(row.get_by_role("cell", name=re.compile(r"^Born \d{2}.\d{2}.\d{4}$"))).to_be_visible()
    expect(row.get_by_role("cell", name=re.compile(r"^Phone \+1 202"))).to_be_visible()
    name, born = (row.locator("td, th").nth(i).bounding_box() for i in (0, 1))
    assert born["y"] > name["y"], "the birth date sits under the name"
    assert page_width(phone)[0] <= PHONE["width"]
    screenshot(phone, "patients-phone")

    phone.goto("/sms/")
    text = phone.get_by_role("row").filter(has_text="Is there parking")
    expect(text).to_be_visible()
    assert text.bounding_box()["width"] <= PHONE["width"]
    expect(phone.get_by_role("row").filter(has_text=LONG_TEXT[:40])).to_be_visible()
    assert page_width(phone)[0] <= PHONE["width"]
    screenshot(phone, "sms-log-phone")


def test_long_unbroken_names_never_widen_a_page(page, phone, harbour):
    too_wide: list[str] = []
    for browser_page in (page, phone):
        sign_in(browser_page, "dana", PASSWORD)
        browser_page.get_by_role("button", name=f"Work in {HARBOUR}").click()
        if browser_page is page:  # wider than a phone: no "Menu", the navigation in full
            expect(page.locator("summary", has_text="Menu")).to_be_hidden()
            expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients")).to_be_visible()
        visit(browser_page, f"/?date={harbour['day']}", too_wide)
        expect(browser_page.get_by_test_id("appointment")).to_contain_text(LONG_FIRST)
        for path in (
            f"/appointments/{harbour['appointment']}/",
            f"/appointments/{harbour['appointment']}/edit/",
            f"/appointments/{harbour['appointment']}/cancel/",
            "/patients/",
            f"/patients/{harbour['patient']}/",
            f"/patients/{harbour['patient']}/edit/",
            "/setup/",
            "/calendars/",
            "/audit/",
        ):
            visit(browser_page, path, too_wide)
    assert too_wide == [], "\n".join(too_wide)
