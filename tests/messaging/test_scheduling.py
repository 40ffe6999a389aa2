"""Confirmation requests follow the schedule: planned per lead time at booking,
moved out of quiet hours (in the clinic's wall-clock time, across DST), superseded
when the appointment moves or closes, revived when it is reinstated."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clinic.appointments.services import appointment_set_status, appointment_update
from clinic.messaging.models import ConfirmationRequest, SmsSettings
from clinic.messaging.quiet_hours import first_time_in_window
from clinic.messaging.services import sms_settings_save
from tenancy.context import tenant_context
from tests.support.sms import book_in, enable_sms

pytestmark = pytest.mark.django_db


def statuses(appointment) -> dict:
    return dict(ConfirmationRequest.objects.filter(appointment=appointment).values_list("lead_minutes", "status"))


def test_booking_plans_one_request_per_lead_time(org_a, people_a):
    with tenant_context(org=org_a):
        enable_sms("+12025550199")
        appointment = book_in(people_a, hours=72)
        planned = ConfirmationRequest.objects.filter(appointment=appointment).order_by("-lead_minutes")
        assert [(r.lead_minutes, r.status) for r in planned] == [(2880, "pending"), (120, "pending")]
        assert planned[0].due_at == appointment.starts_at - dt.timedelta(hours=48)
        assert planned[1].due_at == appointment.starts_at - dt.timedelta(hours=2)
        assert all(r.expires_at == appointment.starts_at for r in planned)


def test_nothing_is_planned_while_texts_are_off(org_a, people_a):
    with tenant_context(org=org_a):
        appointment = book_in(people_a, hours=72)
        assert statuses(appointment) == {}


def test_leads_already_past_at_booking_send_one_text_now(org_a, people_a):
    with tenant_context(org=org_a):
        enable_sms("+12025550199")
        appointment = book_in(people_a, hours=1)
        assert statuses(appointment) == {2880: "skipped", 120: "pending"}


def test_moving_supersedes_the_old_requests_and_plans_new_ones(org_a, people_a):
    with tenant_context(org=org_a):
        enable_sms("+12025550199")
        appointment = book_in(people_a, hours=72)
        appointment_update(
            appointment=appointment, changed_by=None, starts_at=appointment.starts_at + dt.timedelta(days=1)
        )
        rows = ConfirmationRequest.objects.filter(appointment=appointment)
        assert sorted(rows.values_list("status", flat=True)) == ["pending", "pending", "superseded", "superseded"]
        assert set(rows.filter(status="pending").values_list("appointment_starts_at", flat=True)) == {
            appointment.starts_at
        }


def test_cancelling_supersedes_and_reinstating_revives(org_a, people_a):
    with tenant_context(org=org_a):
        enable_sms("+12025550199")
        appointment = book_in(people_a, hours=72)
        appointment_set_status(appointment=appointment, status="cancelled", changed_by=None)
        assert set(statuses(appointment).values()) == {"superseded"}
        appointment_set_status(appointment=appointment, status="scheduled", changed_by=None)
        assert set(statuses(appointment).values()) == {"pending"}
        assert ConfirmationRequest.objects.filter(appointment=appointment).count() == 2


def test_turning_texts_off_supersedes_pending_requests(org_a, people_a):
    with tenant_context(org=org_a):
        enable_sms("+12025550199")
        appointment = book_in(people_a, hours=72)
        sms_settings_save(enabled=False)
        assert set(statuses(appointment).values()) == {"superseded"}


NEW_YORK = ZoneInfo("America/New_York")
WINDOW = SmsSettings(send_from=dt.time(8), send_until=dt.time(21))


def ny(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (ny(2026, 6, 1, 12, 0), ny(2026, 6, 1, 12, 0)),  # inside the window: as due
        (ny(2026, 6, 1, 22, 30), ny(2026, 6, 2, 8, 0)),  # evening: next morning
        (ny(2026, 6, 1, 6, 0), ny(2026, 6, 1, 8, 0)),  # early: the same morning
        # Clocks go forward on 8 March 2026 and back on 1 November 2026: still 08:00 local.
        (ny(2026, 3, 7, 23, 0), ny(2026, 3, 8, 8, 0)),
        (ny(2026, 10, 31, 23, 0), ny(2026, 11, 1, 8, 0)),
    ],
)
def test_quiet_hours_wait_for_the_local_morning_across_dst(due, expected):
    allowed = first_time_in_window(due.astimezone(dt.UTC), WINDOW, (NEW_YORK,))
    assert allowed == expected
    assert allowed.astimezone(NEW_YORK).hour == 8 or allowed == due


def test_a_request_whose_window_opens_after_the_appointment_is_skipped(org_b, people_b, monkeypatch):
    # Clinic B is in New York. 2 h before an 07:00 appointment is 05:00: quiet hours,
    # and 08:00 is after the appointment.
    from clinic.messaging import scheduling

    now = ny(2026, 3, 7, 20, 0).astimezone(dt.UTC)
    with tenant_context(org=org_b):
        enable_sms("+12025550177", lead_minutes=(120,), send_from=dt.time(8), send_until=dt.time(21))
        monkeypatch.setattr(scheduling.timezone, "now", lambda: now)
        appointment = book_in(people_b, hours=0)  # booked "now" by the real clock; re-planned below
        appointment.starts_at = ny(2026, 3, 8, 7, 0).astimezone(dt.UTC)
        ConfirmationRequest.objects.filter(appointment=appointment).delete()
        scheduling.plan_confirmation_requests(appointment, now=now)
        request = ConfirmationRequest.objects.get(appointment=appointment, lead_minutes=120)
        assert request.status == "skipped"
        assert "quiet hours" in request.skip_reason
