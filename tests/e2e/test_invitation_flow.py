"""Joining a clinic by invitation, in a real browser: an owner invites an address, the
newcomer opens the emailed link, creates an account and lands in the clinic."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.seed import HARBOUR, PASSWORD
from tests.support.browser import mails_to, sign_in

pytestmark = pytest.mark.e2e

NEWCOMER = "lena.invited@example.test"
LINK = re.compile(r"http://\S+(/invitations/[A-Za-z0-9_-]+/)")


def test_invite_open_the_link_sign_up_and_land_in_the_clinic(page, e2e_env, screenshot):
    sign_in(page, "dana", PASSWORD)
    page.get_by_role("button", name=f"Work in {HARBOUR}").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    page.get_by_label("Email address", exact=True).fill(NEWCOMER)
    page.get_by_label("Role", exact=True).select_option(label="Staff")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text(f"Invitation sent to {NEWCOMER}")
    pending = page.get_by_role("region", name="Pending invitations")
    expect(pending).to_contain_text(NEWCOMER)
    expect(pending).to_contain_text("Dana Whitfield")
    screenshot(page, "members-invitations")
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()

    [mail] = mails_to(e2e_env, NEWCOMER)
    assert HARBOUR in mail and "Dana Whitfield" in mail
    page.goto(LINK.search(mail).group(1))
    expect(page.get_by_role("heading", name=f"Join {HARBOUR}")).to_be_visible()
    page.get_by_label("Username").fill("lena")
    page.get_by_label("First name").fill("Lena")
    page.get_by_label("Last name").fill("Invited")
    page.get_by_label("Password", exact=True).fill("quiet-harbour-lantern-42")
    page.get_by_label("Password confirmation").fill("quiet-harbour-lantern-42")
    screenshot(page, "invitation-sign-up")
    page.get_by_role("button", name="Create account and join").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("active-clinic")).to_have_text(HARBOUR)
    expect(page.get_by_role("status")).to_contain_text(f"Welcome to {HARBOUR}.")
    # Staff: the members page is not theirs; the link is used up.
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Members")).to_have_count(0)
    page.goto(LINK.search(mail).group(1))
    expect(page.get_by_role("heading", name="This invitation link does not work")).to_be_visible()
