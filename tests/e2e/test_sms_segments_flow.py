"""The SMS settings page counts the text's segments as the owner types, in a real
browser (static/js/sms-segments.js; the page's CSP allows no inline script)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from clinic.appointments.demo_data import DEMO_PASSWORD, NORTHSIDE
from tests.support.browser import sign_in

pytestmark = pytest.mark.e2e


def test_the_segment_count_follows_the_text_as_it_is_edited(page, e2e_server):
    sign_in(page, NORTHSIDE.owner.username, DEMO_PASSWORD)
    page.goto("/sms/settings/")
    count = page.locator("[data-segments-count]")
    encoding = page.locator("[data-segments-encoding]")
    template = page.get_by_label("Confirmation text")
    template.fill("{link} " + "a" * 100)
    expect(encoding).to_have_text("GSM-7")
    expect(count).to_have_text("1 segment")
    template.fill("{link} " + "€" * 100)  # two places each: 200 and the link
    expect(count).to_have_text("2 segments")
    template.fill("{link} Merci ’")  # a curly apostrophe is not GSM-7
    expect(encoding).to_have_text("UCS-2")
    expect(count).to_have_text("1 segment")
    example = json.loads(page.locator("[data-sms-segments]").get_attribute("data-example"))
    expect(page.locator("[data-segments-length]")).to_have_text(str(len(example["link"] + " Merci ’")))
