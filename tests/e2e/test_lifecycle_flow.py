"""The platform console in a browser, on the demo data: a superuser lists the clinics
and sees no patient of either, suspends one with a reason, its owner meets the
suspension page instead of the schedule, and reactivation gives the clinic back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from clinic.appointments.demo_data import CLINICS, DEMO_PASSWORD, LAKEVIEW
from tests.support.browser import set_up_two_factor, sign_in, visit
from tests.support.database import manage_or_fail

pytestmark = pytest.mark.e2e

CONSOLE = "/admin/platform/clinics/"
OPERATOR = "platform-op"


@pytest.fixture
def operator(e2e_env) -> str:
    manage_or_fail(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; User = get_user_model(); "
        f"User.objects.filter(username='{OPERATOR}').exists() or "
        f"User.objects.create_superuser('{OPERATOR}', 'op@example.test', '{DEMO_PASSWORD}')",
        env=e2e_env,
    )
    return OPERATOR


def assert_no_patient(page) -> None:
    html = page.content()
    for clinic in CLINICS:
        for first, last in clinic.patients:
            assert f"{first} {last}" not in html and last not in html, last


def act(page, action: str, reason: str) -> None:
    page.locator(f"#reason-{action}").fill(reason)
    page.get_by_role("button", name=f"{action.capitalize()} {LAKEVIEW.name}").click()
    page.wait_for_load_state("networkidle")


def test_suspend_and_reactivate_from_the_console(page, browser, e2e_server, operator):
    sign_in(page, operator, DEMO_PASSWORD)
    set_up_two_factor(page)  # /admin/ asks for the second factor
    visit(page, CONSOLE)
    expect(page.get_by_role("link", name=LAKEVIEW.name)).to_be_visible()
    assert_no_patient(page)
    page.get_by_role("link", name=LAKEVIEW.name).click()
    expect(page.get_by_test_id("clinic-status")).to_have_text("Active")
    assert_no_patient(page)

    act(page, "suspend", "Invoice 2026-11 unpaid")
    expect(page.get_by_test_id("clinic-status")).to_have_text("Suspended")
    owner = browser.new_context(base_url=e2e_server).new_page()
    try:
        sign_in(owner, "lakeview-owner", DEMO_PASSWORD)
        expect(owner.get_by_test_id("clinic-suspended")).to_contain_text("Invoice 2026-11 unpaid")
        assert owner.goto("/patients/").status == 403
        assert_no_patient(owner)
    finally:
        act(page, "reactivate", "Invoice paid")
    expect(page.get_by_test_id("clinic-status")).to_have_text("Active")
    owner.goto("/")
    expect(owner.get_by_test_id("active-clinic")).to_have_text(LAKEVIEW.name)
    owner.context.close()
