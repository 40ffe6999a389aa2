"""Quiet hours are the recipient's: the sending window is read on the patient's
clock (their own zone, else every zone their number may be in, the strictest
winning, else the clinic's), for planned requests, "Send confirmation now" and the
worker's claim alike; staff are told which zone made a text wait. The clock is
controlled by replacing django.utils.timezone.now, as the other clock tests do."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from clinic.appointments.models import Patient
from clinic.appointments.services import appointment_book, patient_create, patient_update
from clinic.messaging import delivery
from clinic.messaging.models import ConfirmationRequest, SmsMessage, SmsSettings
from clinic.messaging.quiet_hours import CLINIC, NUMBER, PATIENT, send_time
from clinic.messaging.services import send_confirmation_now
from tenancy.context import tenant_context
from tenancy.services import organization_create
from tests.support.people import clinic_people, login
from tests.support.sms import enable_sms

pytestmark = pytest.mark.django_db

LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
WINDOW = SmsSettings(send_from=dt.time(8), send_until=dt.time(21))
NY_NUMBER, LA_NUMBER = "+12125550123", "+14155550123"
AU_MOBILE = "+61412345678"  # Australia: Cocos (UTC+6:30) to Lord Howe (UTC+10:30)
US_TOLL_FREE = "+18005550123"  # every zone of the North American plan, Guam to Pago Pago
INMARSAT = "+870772123456"  # a valid number libphonenumber places in no zone


def at(zone: ZoneInfo, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone).astimezone(dt.UTC)


def when(due: dt.datetime, phone: str, patient_zone: str = "", clinic_zone: ZoneInfo = LONDON):
    return send_time(due, window=WINDOW, clinic_zone=clinic_zone, patient=Patient(phone=phone, timezone=patient_zone))


# --- the decision ----------------------------------------------------------------------


def test_it_holds_a_london_clinics_text_to_new_york_until_eight_there():
    # 08:30 in London (BST) is 03:30 in New York (EDT).
    decided = when(at(LONDON, 2026, 6, 10, 8, 30), NY_NUMBER)
    assert decided.at == at(NEW_YORK, 2026, 6, 10, 8, 0) == at(LONDON, 2026, 6, 10, 13, 0)
    assert (decided.zones, decided.source) == (("America/New_York",), NUMBER)
    assert decided.note == "Waits for 08:00 in America/New_York, the time zone of the patient's number."


def test_it_sends_at_once_when_it_is_day_for_the_recipient_though_night_for_the_clinic():
    # 22:00 in London is 17:00 in New York: inside the recipient's window.
    due = at(LONDON, 2026, 6, 10, 22, 0)
    decided = when(due, NY_NUMBER)
    assert decided.at == due and decided.note == ""


def test_it_lets_the_patients_own_zone_override_the_numbers():
    # A New York number, its owner living in Los Angeles: 10:00 in New York is 07:00 there.
    due = at(NEW_YORK, 2026, 6, 10, 10, 0)
    decided = when(due, NY_NUMBER, patient_zone="America/Los_Angeles", clinic_zone=NEW_YORK)
    assert decided.at == at(LOS_ANGELES, 2026, 6, 10, 8, 0)
    assert (decided.zones, decided.source) == (("America/Los_Angeles",), PATIENT)
    assert decided.note == "Waits for 08:00 in America/Los_Angeles, the patient's time zone."
    # Without the patient's zone the number's (New York) says the text may go now.
    assert when(due, NY_NUMBER, clinic_zone=NEW_YORK).at == due


def test_it_takes_the_strictest_window_of_a_number_with_several_zones():
    # 06:00 in Sydney (AEST, UTC+10) on 10 June is 20:00 UTC the day before; the window
    # opens last in Cocos (UTC+6:30): 08:00 there is 01:30 UTC.
    decided = when(at(ZoneInfo("Australia/Sydney"), 2026, 6, 10, 6, 0), AU_MOBILE)
    assert decided.at == dt.datetime(2026, 6, 10, 1, 30, tzinfo=dt.UTC)
    assert len(decided.zones) > 1 and decided.source == NUMBER
    for name in decided.zones:
        local = decided.at.astimezone(ZoneInfo(name)).time()
        assert dt.time(8) <= local < dt.time(21), name
    assert decided.note.startswith("Waits for 08:00 in Indian/Cocos: the first time within 08:00–21:00 in all")


def test_it_waits_for_the_next_day_when_todays_shared_window_is_over():
    # 21:30 in Cocos: the Australian zones' shared window (01:30–10:00 UTC) is over today.
    due = at(ZoneInfo("Indian/Cocos"), 2026, 6, 10, 21, 30)
    decided = when(due, AU_MOBILE)
    assert decided.at == dt.datetime(2026, 6, 11, 1, 30, tzinfo=dt.UTC)


def test_it_uses_the_clinics_window_for_a_number_with_no_zone():
    due = at(LONDON, 2026, 6, 10, 6, 0)
    decided = when(due, INMARSAT)
    assert decided.at == at(LONDON, 2026, 6, 10, 8, 0)
    assert (decided.zones, decided.source, decided.note) == (("Europe/London",), CLINIC, "")
    assert when(at(LONDON, 2026, 6, 10, 9, 0), INMARSAT).at == at(LONDON, 2026, 6, 10, 9, 0)


def test_it_falls_back_to_the_clinics_window_and_logs_when_no_time_suits_every_zone(caplog):
    # A Russian mobile number may be anywhere from Bucharest's time (UTC+3) to
    # Anadyr's (UTC+12): no instant is 09:00–12:00 in all of them, on any day.
    narrow = SmsSettings(send_from=dt.time(9), send_until=dt.time(12))
    due = at(LONDON, 2026, 6, 10, 6, 0)
    patient = Patient(phone="+79161234567")
    with caplog.at_level(logging.WARNING, logger="clinic.messaging.quiet_hours"):
        decided = send_time(due, window=narrow, clinic_zone=LONDON, patient=patient)
    assert decided.at == at(LONDON, 2026, 6, 10, 9, 0)
    assert decided.source == NUMBER and {"Europe/Moscow", "Asia/Anadyr"} <= set(decided.zones)
    assert "in the clinic's window instead" in decided.note
    assert "the clinic's window (Europe/London) is used" in caplog.text


def test_it_finds_the_shared_window_of_a_us_toll_free_number():
    # Its zones run from Guam (UTC+10) back to Pago Pago (UTC-11): 08:00 in Guam is
    # 11:00 the day before in Pago Pago and 19:30 in St John's, inside every window.
    decided = when(at(LONDON, 2026, 6, 10, 6, 0), US_TOLL_FREE)
    assert decided.at == at(ZoneInfo("Pacific/Guam"), 2026, 6, 11, 8, 0)
    assert len(decided.zones) > 40
    assert "Pacific/Guam" in decided.note


# --- planned requests, send now, the worker's claim --------------------------------------


@pytest.fixture
def london(owner_a):
    clinic = organization_create(
        name="Thames Clinic", slug="thames", timezone="Europe/London", owner=owner_a, locale="en-gb"
    )
    people = clinic_people(clinic)
    with tenant_context(org=clinic):
        enable_sms("+442079460999", lead_minutes=(480,), send_from=dt.time(8), send_until=dt.time(21))
        people.new_yorker = patient_create(
            first_name="Nora", last_name="York", date_of_birth=dt.date(1980, 1, 1), phone=NY_NUMBER
        )
    return people


@pytest.fixture
def clock(monkeypatch):
    """Set "now" for everything that asks django.utils.timezone."""

    def set_now(instant: dt.datetime) -> dt.datetime:
        monkeypatch.setattr(timezone, "now", lambda: instant)
        return instant

    return set_now


def book(people, patient, starts_at: dt.datetime):
    return appointment_book(
        patient=patient, provider=people.ada, appointment_type=people.checkup, starts_at=starts_at, booked_by=None
    )


def test_it_plans_a_request_for_the_recipients_morning_and_tells_staff_why(client, owner_a, london, clock):
    clock(at(LONDON, 2026, 6, 10, 8, 30))
    with tenant_context(org=london.org):
        # Due at once (the 8 h lead is past at booking), but it is 03:30 in New York.
        appointment = book(london, london.new_yorker, at(LONDON, 2026, 6, 10, 15, 0))
        request = ConfirmationRequest.objects.get(appointment=appointment)
    assert (request.status, request.due_at) == ("pending", at(NEW_YORK, 2026, 6, 10, 8, 0))
    assert "America/New_York" in request.window_note
    login(client, owner_a, london.org)
    body = client.get(f"/appointments/{appointment.pk}/").content.decode()
    assert "Due Wed 10 Jun, 13:00" in body
    assert "Waits for 08:00 in America/New_York" in body


def test_it_skips_a_request_when_the_recipients_window_opens_after_the_appointment(london, clock):
    clock(at(LONDON, 2026, 6, 10, 8, 30))
    with tenant_context(org=london.org):
        appointment = book(london, london.new_yorker, at(LONDON, 2026, 6, 10, 11, 0))  # 06:00 in New York
        request = ConfirmationRequest.objects.get(appointment=appointment)
    assert request.status == "skipped"
    assert "the patient's quiet hours (America/New_York)" in request.skip_reason


def test_it_replans_when_the_patient_sets_their_own_zone(london, clock):
    clock(at(LONDON, 2026, 6, 10, 8, 30))
    with tenant_context(org=london.org):
        appointment = book(london, london.new_yorker, at(LONDON, 2026, 6, 10, 18, 0))
        patient_update(patient=london.new_yorker, timezone="America/Los_Angeles")
        request = ConfirmationRequest.objects.get(appointment=appointment)
    assert request.due_at == at(LOS_ANGELES, 2026, 6, 10, 8, 0)
    assert "America/Los_Angeles, the patient's time zone" in request.window_note


def test_it_holds_send_now_until_the_recipients_window_opens(client, owner_a, london, clock, on_commit):
    clock(at(LONDON, 2026, 6, 10, 8, 30))
    with tenant_context(org=london.org):
        appointment = book(london, london.new_yorker, at(LONDON, 2026, 6, 12, 15, 0))
        ConfirmationRequest.objects.filter(appointment=appointment).delete()
    login(client, owner_a, london.org)
    with on_commit(execute=True):
        response = client.post(f"/sms/appointments/{appointment.pk}/confirmation/", follow=True)
    body = response.content.decode()
    assert "will go out Wed 10 Jun, 13:00" in body and "America/New_York" in body
    with tenant_context(org=london.org):
        (request,) = ConfirmationRequest.objects.filter(appointment=appointment)
        assert (request.status, request.due_at) == ("pending", at(NEW_YORK, 2026, 6, 10, 8, 0))
        assert not SmsMessage.objects.exists()


def test_it_refuses_send_now_when_the_window_opens_after_the_appointment(london, clock):
    clock(at(LONDON, 2026, 6, 10, 8, 30))
    with tenant_context(org=london.org):
        appointment = book(london, london.new_yorker, at(LONDON, 2026, 6, 10, 11, 0))
        with pytest.raises(Exception, match="quiet hours for Nora until after the appointment"):
            send_confirmation_now(appointment=appointment, requested_by=None)


def test_it_sends_now_at_once_inside_the_recipients_window(london, clock, on_commit):
    clock(at(LONDON, 2026, 6, 10, 14, 0))  # 09:00 in New York
    with tenant_context(org=london.org):
        appointment = book(london, london.new_yorker, at(LONDON, 2026, 6, 12, 15, 0))
        request = send_confirmation_now(appointment=appointment, requested_by=None)
    assert request.status == "queued" and request.window_note == ""


def test_it_does_not_claim_a_due_request_while_the_recipients_window_is_shut(london, clock):
    """The worker's claim asks the same question: a request planned before the
    patient's zone was known, due now, waits instead of going at night."""
    clock(at(LONDON, 2026, 6, 10, 14, 0))  # 09:00 in New York: planned due now
    with tenant_context(org=london.org):
        appointment = book(london, london.new_yorker, at(LONDON, 2026, 6, 10, 16, 0))
        request = ConfirmationRequest.objects.get(appointment=appointment)
        # The zone changes behind the planner's back (no re-plan): Honolulu, 03:00.
        Patient.objects.filter(pk=london.new_yorker.pk).update(timezone="Pacific/Honolulu")
        assert delivery.queue_confirmations([request.id], now=timezone.now()) == []
        request.refresh_from_db()
    assert request.status == "skipped"  # 08:00 in Honolulu is after the appointment
    assert "quiet hours" in request.skip_reason


def test_it_claims_a_held_request_once_the_window_opens(london, clock):
    clock(at(LONDON, 2026, 6, 10, 8, 30))
    with tenant_context(org=london.org):
        appointment = book(london, london.new_yorker, at(LONDON, 2026, 6, 10, 18, 0))
        request = ConfirmationRequest.objects.get(appointment=appointment)
        assert delivery.queue_confirmations([request.id], now=at(LONDON, 2026, 6, 10, 12, 59)) == []
        request.refresh_from_db()
        assert request.status == "pending"
        (message,) = delivery.queue_confirmations([request.id], now=clock(at(LONDON, 2026, 6, 10, 13, 0)))
    assert message.to_number == NY_NUMBER


def test_it_keeps_a_clinics_requests_to_its_own_patients(london, org_b, people_b, clock):
    """Re-planning for a patient's new zone touches their clinic's requests only."""
    clock(at(LONDON, 2026, 6, 10, 8, 30))
    with tenant_context(org=org_b):
        enable_sms("+12025550177", lead_minutes=(120,), send_from=dt.time(8), send_until=dt.time(21))
        other = book(people_b, people_b.jane, at(NEW_YORK, 2026, 6, 10, 18, 0))
        before = ConfirmationRequest.objects.get(appointment=other).due_at
    with tenant_context(org=london.org):
        book(london, london.new_yorker, at(LONDON, 2026, 6, 10, 18, 0))
        patient_update(patient=london.new_yorker, timezone="Pacific/Honolulu")
        assert ConfirmationRequest.objects.count() == 1
    with tenant_context(org=org_b):
        assert ConfirmationRequest.objects.get(appointment=other).due_at == before
