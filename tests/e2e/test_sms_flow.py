"""A confirmation by text, end to end in real processes: an appointment falls due,
the worker texts the patient (console backend), the patient answers "c" through the
signed webhook (`manage.py sms_simulate_reply` against the running server), and the
front desk sees it on the day view and in the appointment's thread. Then a second
patient cancels on the confirmation page the text links to."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from clinic.appointments.demo_data import DEMO_PASSWORD, NORTHSIDE
from clinic.messaging.demo import DEMO_NUMBERS
from tests.support.browser import sign_in
from tests.support.database import manage_or_fail
from tests.support.worker_harness import run_workers

pytestmark = pytest.mark.e2e

SENDER = DEMO_NUMBERS[NORTHSIDE.slug][0]
SET_UP = """
import datetime as dt, json
from django.utils import timezone
from clinic.appointments.models import AppointmentType
from clinic.appointments.services import appointment_book, patient_create, provider_create
from clinic.messaging.services import sms_settings_save
from tenancy.context import tenant_context
from tenancy.models import Organization

org = Organization.objects.none()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT messaging_clinic_for_sender(%s)", [SENDER])
    org_id = cursor.fetchone()[0]
with tenant_context(org=org_id):
    # The clinic texts at any hour, so the test does not depend on New York's clock.
    sms_settings_save(send_from=dt.time(0, 0), send_until=dt.time(23, 59, 59))
    provider = provider_create(name="Text Tester", title="Dr.")
    kind = AppointmentType.objects.filter(active=True).first()
    starts_at = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(hours=1, minutes=10)
    out = []
    for index, (first, phone) in enumerate((("Tessa", "+12025550171"), ("Teodor", "+12025550172"))):
        patient = patient_create(first_name=first, last_name="Texter", date_of_birth=dt.date(1985, 3, 1), phone=phone)
        visit = appointment_book(patient=patient, provider=provider, appointment_type=kind,
                                 starts_at=starts_at + dt.timedelta(minutes=45 * index), booked_by=None)
        zone = Organization.objects.get(pk=org_id).zone
        out.append({"id": str(visit.id), "phone": phone, "day": visit.starts_at.astimezone(zone).date().isoformat()})
print(json.dumps(out))
"""


def test_a_text_confirmation_arrives_on_the_day_view_and_in_the_thread(page, e2e_server, e2e_env, screenshot):
    code = SET_UP.replace("[SENDER]", f"[{SENDER!r}]")
    tessa, teodor = json.loads(manage_or_fail("shell", "-c", code, env=e2e_env).strip().splitlines()[-1])
    manage_or_fail("shell", "-c", "from clinic.messaging.tasks import tick; tick.defer(timestamp=0)", env=e2e_env)
    output = run_workers(e2e_env)
    texts = [line for line in output.splitlines() if line.startswith(f"[SMS {SENDER} -> ")]
    assert any(tessa["phone"] in line for line in texts), output[-2000:]
    assert any(teodor["phone"] in line for line in texts)

    # Tessa answers "c", signed as the provider signs it, to the running server.
    answer = manage_or_fail(
        "sms_simulate_reply",
        "--url",
        e2e_server,
        "--to",
        SENDER,
        "--from",
        tessa["phone"],
        "--body",
        "c",
        env=e2e_env,
    )
    assert "answered 200" in answer

    sign_in(page, NORTHSIDE.owner.username, DEMO_PASSWORD)
    page.goto(f"/?date={tessa['day']}")
    expect(page.get_by_text("Confirmed by SMS").first).to_be_visible()
    screenshot(page, "day-view-sms")
    page.goto(f"/appointments/{tessa['id']}/")
    expect(page.get_by_text("Confirmed", exact=True).first).to_be_visible()
    thread = page.locator(".sms-thread")
    expect(thread.get_by_text(re.compile(r"Northside Family Clinic: Tessa.s visit"))).to_be_visible()
    expect(thread.locator(".sms-bubble--in")).to_have_text("c")
    screenshot(page, "sms-thread")

    # Teodor opens the link in his text and cancels there.
    link = re.search(r"(http://\S+/c/[A-Za-z0-9_-]+)", next(line for line in texts if teodor["phone"] in line))
    patient_page = page.context.browser.new_page()
    patient_page.goto(e2e_server + link.group(1).split("127.0.0.1:8000", 1)[-1])
    expect(patient_page.get_by_role("heading", name="Hi Teodor")).to_be_visible()
    patient_page.get_by_role("button", name="Cancel appointment").click()
    expect(patient_page.get_by_text("Your appointment is cancelled.")).to_be_visible()
    patient_page.close()
    page.goto(f"/?date={teodor['day']}")
    expect(page.get_by_text("Cancelled by SMS").first).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^SMS")).click()
    expect(page.get_by_role("cell", name=re.compile("Tessa.s visit")).first).to_be_visible()
    screenshot(page, "sms-log")
    page.goto("/sms/settings/")
    expect(page.get_by_label("Sender number")).to_have_value("+1 202-555-0199")
    screenshot(page, "sms-settings")
