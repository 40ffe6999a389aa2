"""A patient's voicemail, end to end in real processes: `manage.py voice_simulate_call`
plays the call to the running server with signed webhooks, the worker fetches the
recording (console backend: the sample WAV) and stores it, and the front desk finds it
in /calls/ with its transcript and a player that streams the audio, under the
Content-Security-Policy; then marks it handled."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from clinic.appointments.demo_data import DEMO_PASSWORD, NORTHSIDE
from clinic.messaging.demo import DEMO_NUMBERS
from tests.support.browser import sign_in
from tests.support.database import manage_or_fail
from tests.support.worker_harness import run_workers

pytestmark = pytest.mark.e2e

CLINIC_NUMBER = DEMO_NUMBERS[NORTHSIDE.slug][0]
CALLER = "+12025550164"
TRANSCRIPT = "Hello, this is a test caller. Please ring me back about my results."


def test_a_voicemail_reaches_the_calls_inbox_with_audio_and_transcript(
    page,
    e2e_server,
    e2e_env,
    screenshot,
    violations,
):
    said = manage_or_fail(
        "voice_simulate_call",
        *("--url", e2e_server, "--to", CLINIC_NUMBER, "--from", CALLER, "--transcript", TRANSCRIPT),
        env=e2e_env,
    )
    assert "reported with its transcript" in said
    output = run_workers(e2e_env)
    assert "[VOICE console] fetched recording RE" in output

    sign_in(page, NORTHSIDE.owner.username, DEMO_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=re.compile(r"^Calls \d+ voicemails waiting"))).to_be_visible()
    nav.get_by_role("link", name=re.compile("^Calls")).click()
    expect(page).to_have_url(re.compile(r"/calls/$"))
    item = page.locator("article.voicemail").filter(has_text=TRANSCRIPT)
    expect(item).to_be_visible()
    expect(item.get_by_role("heading")).to_have_text("From +1 202-555-0164")
    expect(item.get_by_role("link", name=re.compile("^Call back"))).to_have_attribute("href", f"tel:{CALLER}")

    # The player streams the audio from the view that checks the clinic.
    player = item.locator("audio")
    source = player.get_attribute("src")
    duration = player.evaluate(
        """audio => new Promise((resolve, reject) => {
            audio.addEventListener("loadedmetadata", () => resolve(audio.duration), { once: true });
            audio.addEventListener("error", () => reject(new Error("audio error")), { once: true });
            audio.load();
        })"""
    )
    assert 1.0 < duration < 2.0
    response = page.request.get(source)
    assert response.status == 200
    assert response.headers["content-type"] == "audio/x-wav"
    assert "no-store" in response.headers["cache-control"]
    screenshot(page, "calls-inbox")

    item.get_by_role("button", name=re.compile("^Mark handled")).click()
    expect(page.get_by_text("Marked handled.")).to_be_visible()
    expect(page.locator("article.voicemail").filter(has_text=TRANSCRIPT)).to_have_count(0)
    assert violations == []
