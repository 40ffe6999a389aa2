"""Every surface works under the Content-Security-Policy: the staff pages, the Django
admin (popups included), the API docs, the patients' confirmation page and the error
pages. Any violation the browser reports, as a `securitypolicyviolation` event or a
"Refused to …" console error, fails the test, and so does a Permissions-Policy the
browser cannot read."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from clinic.appointments.demo_data import DEMO_PASSWORD, NORTHSIDE
from tests.support.browser import set_up_two_factor, sign_in, visit
from tests.support.database import manage_or_fail

pytestmark = pytest.mark.e2e


def a_day_with_appointments(page) -> str:
    today = dt.datetime.now(ZoneInfo(NORTHSIDE.timezone)).date()
    for offset in (0, 1, 2, 3, -1, -2):
        day = (today + dt.timedelta(days=offset)).isoformat()
        page.goto(f"/?date={day}")
        if page.get_by_test_id("appointment").count():
            return day
    raise AssertionError("No demo day with appointments")


def test_the_staff_pages_work_under_the_policy(page, violations):
    visit(page, "/accounts/login/")
    visit(page, "/accounts/password_reset/")
    visit(page, "/signup/")  # its time zone script, a file of ours
    expect(page.get_by_label("Time zone")).not_to_have_value("")
    sign_in(page, "northside-owner", DEMO_PASSWORD)
    expect(page.get_by_test_id("active-clinic")).to_have_text(NORTHSIDE.name)

    a_day_with_appointments(page)
    block = page.get_by_test_id("appointment").first
    expect(block).to_be_visible()
    # The grid's places come from the nonced style element: blocks sit on their rows.
    assert block.evaluate("e => getComputedStyle(e).gridRowStart") != "auto"
    assert page.locator(".day-grid").evaluate("e => getComputedStyle(e).gridTemplateColumns.split(' ').length") > 1
    assert page.locator("svg.swatch circle").first.get_attribute("fill").startswith("#")

    block.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for path in (
        "/patients/",
        "/appointments/new/",
        "/setup/",
        "/members/",
        "/sms/",
        "/sms/inbox/",
        "/sms/settings/",
        "/settings/api-keys/",
        "/settings/webhooks/",
        "/audit/",
        "/accounts/password_change/",
    ):
        visit(page, path)
    visit(page, "/patients/")
    page.get_by_role("link", name=re.compile(r"^Martinez, Olivia")).click()
    expect(page.get_by_role("heading", name="Olivia Martinez")).to_be_visible()
    visit(page, "/no-such-page/", status=404)
    assert sorted(set(violations)) == []


@pytest.fixture
def northside_owner_with_two_factor(e2e_env):
    """The demo owner, who sets up two-factor sign-in in the test; removed after, so
    the other browser tests sign in with the password alone."""
    yield "northside-owner"
    manage_or_fail("two_factor_reset", "northside-owner", env=e2e_env)


def test_the_admin_and_its_popups_work_under_the_policy(page, violations, northside_owner_with_two_factor):
    sign_in(page, northside_owner_with_two_factor, DEMO_PASSWORD)
    set_up_two_factor(page)  # the two-factor pages under the policy too; /admin/ needs it
    visit(page, "/admin/")
    visit(page, "/admin/appointments/patient/")
    page.locator("#searchbar").fill("Martinez")
    page.locator("#changelist-search input[type=submit]").click()
    expect(page.locator("#result_list")).to_contain_text("Martinez")
    assert "martinez" not in page.url.lower() and "s=" in page.url  # the terms stay out of the URL
    page.get_by_role("link", name=re.compile(r"Martinez")).first.click()
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
    visit(page, "/admin/appointments/appointment/add/")
    with page.expect_popup() as popup_info:
        page.locator("#add_id_patient").click()
    popup = popup_info.value
    popup.wait_for_load_state("networkidle")
    expect(popup.locator("#content h1")).to_contain_text("Add patient")
    popup.close()
    # The patient autocomplete asks by POST, with the page's CSRF token.
    page.locator("#id_patient + .select2").click()
    with page.expect_response(lambda response: "term=Mart" in (response.request.post_data or "")) as answered:
        page.locator(".select2-search__field").fill("Mart")
    assert answered.value.request.method == "POST" and "Mart" not in answered.value.url
    expect(page.locator(".select2-results__option").first).to_contain_text("Martinez")
    visit(page, "/admin/appointments/appointment/")
    assert sorted(set(violations)) == []


def test_the_api_docs_work_under_the_policy(page, violations):
    visit(page, "/api/docs/")
    expect(page.get_by_role("heading", name=re.compile("Clinic API"))).to_be_visible()
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    operations.first.locator(".opblock-summary").click()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    assert sorted(set(violations)) == []


def test_the_patient_page_and_error_pages_work_under_the_policy(page, violations):
    visit(page, "/c/not-a-real-token", status=404)
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    visit(page, "/no-such-page/", status=404)
    assert sorted(set(violations)) == []
