"""Texts where the front desk works: an appointment's thread and its "Send
confirmation now" button, a patient's recent texts, and the SMS marks on the day
schedule (computed for the whole day at once)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.appointments.models import Appointment
from clinic.appointments.services import appointment_book, appointment_set_status, patient_set_sms_consent
from clinic.core.timezones import localize
from clinic.messaging.models import ConfirmationRequest
from clinic.messaging.selectors import day_marks
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.people import login

DAY = dt.date(2030, 3, 4)  # a Monday, in the future


@pytest.fixture
def as_staff(client, org_a, staff_a):
    login(client, staff_a, org=org_a)
    return client


def book(people, *, patient=None, provider=None, time="09:00") -> Appointment:
    with tenant_context(org=people.org):
        return appointment_book(
            patient=patient or people.jane,
            provider=provider or people.ada,
            appointment_type=people.checkup,
            starts_at=localize(DAY, dt.time.fromisoformat(time), people.org.zone),
            booked_by=None,
        )


def texted(appointment: Appointment, **fields) -> ConfirmationRequest:
    """A request texted for the appointment's current time, unanswered unless told."""
    with tenant_context(org=appointment.organization_id):
        message = factories.sms_message(kind="confirmation", patient=appointment.patient, appointment=appointment)
        values = {"status": "queued", "message": message, "appointment_starts_at": appointment.starts_at}
        return factories.confirmation_request(appointment=appointment, **{**values, **fields})


def answered(appointment: Appointment, status: str, via: str) -> None:
    with tenant_context(org=appointment.organization_id):
        appointment_set_status(appointment=appointment, status=status, changed_by=None, via=via)


def requests_of(appointment: Appointment) -> list[ConfirmationRequest]:
    with tenant_context(org=appointment.organization_id):
        return list(ConfirmationRequest.objects.filter(appointment=appointment))


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- an appointment's page ------------------------------------------------------------


def test_the_appointment_page_shows_its_texts_and_requests(as_staff, people_a):
    visit = book(people_a)
    texted(visit, lead_minutes=2880)
    with tenant_context(org=people_a.org):
        factories.confirmation_request(
            appointment=visit, lead_minutes=120, status="skipped", skip_reason="The patient opted out of texts."
        )
        factories.sms_message(
            appointment=visit, patient=people_a.jane, direction="in", kind="inbound", status="received", body="Which?"
        )
    body = as_staff.get(f"/appointments/{visit.pk}/").content.decode()
    assert "48 h before" in body and "Texted (queued), no answer yet" in body
    assert "2 h before" in body and "Skipped" in body and "The patient opted out of texts." in body
    assert "Which?" in body and "From the patient" in body
    assert "Send confirmation now" in body


def test_an_answered_request_says_how(as_staff, people_a):
    visit = book(people_a)
    texted(visit, response="confirmed", responded_via="link", responded_at=dt.datetime(2030, 3, 2, 10, tzinfo=dt.UTC))
    body = as_staff.get(f"/appointments/{visit.pk}/").content.decode()
    assert "Confirmed with the link" in body


def test_no_button_once_the_appointment_is_no_longer_waiting(as_staff, people_a):
    visit = book(people_a)
    answered(visit, "confirmed", "staff")
    body = as_staff.get(f"/appointments/{visit.pk}/").content.decode()
    assert "Send confirmation now" not in body
    assert "No texts about this appointment yet." in body


def test_send_confirmation_now_creates_a_request_sent_by_hand(as_staff, people_a):
    with tenant_context(org=people_a.org):
        # Open all day: "send now" keeps the patient's quiet hours (test_sms_quiet_hours.py).
        factories.sms_settings(lead_minutes=[], send_from=dt.time(0, 0), send_until=dt.time(23, 59, 59))
    visit = book(people_a)
    response = as_staff.post(f"/sms/appointments/{visit.pk}/confirmation/")
    assert response["Location"] == f"/appointments/{visit.pk}/"
    phone = f"+1 415-555-{people_a.jane.phone[-4:]}"
    assert flashed(response) == [f"A confirmation request is going out to Jane Doe ({phone})."]
    [request] = requests_of(visit)
    # Claimed at once: its text is queued for the worker in the same transaction.
    assert (request.lead_minutes, request.status) == (None, "queued")
    with tenant_context(org=people_a.org):
        assert request.message.status == "queued" and request.message.kind == "confirmation"
    assert "Sent by hand" in as_staff.get(f"/appointments/{visit.pk}/").content.decode()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("texts_off", "No text sent: Texts are turned off for this clinic (see SMS settings)."),
        ("opted_out", "No text sent: Jane opted out of texts."),
    ],
)
def test_a_refused_request_says_why(as_staff, people_a, setup, message):
    with tenant_context(org=people_a.org):
        factories.sms_settings(enabled=setup != "texts_off", lead_minutes=[])
        if setup == "opted_out":
            patient_set_sms_consent(patient=people_a.jane, opted_in=False)
    visit = book(people_a)
    response = as_staff.post(f"/sms/appointments/{visit.pk}/confirmation/")
    assert response.status_code == 302
    assert flashed(response) == [message]
    assert requests_of(visit) == []


def test_another_clinics_appointment_is_a_404(as_staff, people_b):
    with tenant_context(org=people_b.org):
        factories.sms_settings()
    theirs = book(people_b)
    assert as_staff.post(f"/sms/appointments/{theirs.pk}/confirmation/").status_code == 404
    assert as_staff.get(f"/appointments/{theirs.pk}/").status_code == 404
    assert [r.lead_minutes for r in requests_of(theirs) if r.lead_minutes is None] == []


# --- a patient's page -----------------------------------------------------------------


def test_the_patient_page_lists_their_recent_texts(as_staff, people_a, people_b):
    with tenant_context(org=people_a.org):
        factories.sms_message(patient=people_a.jane, body="Your appointment is tomorrow")
        factories.sms_message(patient=people_a.john, body="Not Jane's")
    body = as_staff.get(f"/patients/{people_a.jane.pk}/").content.decode()
    assert "Recent texts" in body and "Your appointment is tomorrow" in body
    assert "Not Jane&#x27;s" not in body
    assert f'href="/sms/?patient={people_a.jane.pk}"' in body
    assert "Appointment texts" in body  # the consent, as before
    empty = as_staff.get(f"/patients/{people_a.john.pk}/").content.decode()
    assert "Your appointment is tomorrow" not in empty


# --- the day schedule -----------------------------------------------------------------


def day_page(client) -> str:
    response = client.get(f"/?date={DAY.isoformat()}")
    assert response.status_code == 200
    return response.content.decode()


def test_the_day_shows_each_appointments_sms_mark(as_staff, people_a):
    waiting = book(people_a, time="09:00")
    texted(waiting)
    confirmed = book(people_a, time="10:00")
    texted(confirmed)
    answered(confirmed, "confirmed", "sms")
    cancelled = book(people_a, time="11:00")
    answered(cancelled, "cancelled", "link")
    by_phone = book(people_a, time="12:00")
    answered(by_phone, "confirmed", "staff")
    book(people_a, time="13:00")
    body = day_page(as_staff)
    assert body.count('class="sms-mark sms-mark--sent"') == 1
    assert body.count("Confirmed by SMS") == 1 and body.count("Cancelled by SMS") == 1
    with tenant_context(org=people_a.org):
        marks = day_marks([waiting.pk, confirmed.pk, cancelled.pk, by_phone.pk])
    assert {pk: mark.label for pk, mark in marks.items()} == {
        waiting.pk: "SMS sent",
        confirmed.pk: "Confirmed by SMS",
        cancelled.pk: "Cancelled by SMS",
    }


def test_a_request_for_an_old_time_or_an_answered_one_is_no_mark(people_a):
    moved = book(people_a, time="09:00")
    texted(moved, appointment_starts_at=moved.starts_at - dt.timedelta(days=1))
    done = book(people_a, time="10:00")
    texted(done, response="confirmed", responded_via="sms")
    with tenant_context(org=people_a.org):
        assert day_marks([moved.pk, done.pk]) == {}
        assert day_marks([]) == {}


def test_the_day_mark_is_not_colour_alone(as_staff, people_a):
    texted(book(people_a))
    body = day_page(as_staff)
    assert '<span class="sms-mark__icon" aria-hidden="true">' in body
    assert "</span> SMS sent</p>" in body


def day_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        day_page(client)
    return len(queries.captured_queries)


def test_the_day_view_asks_the_same_number_of_queries_for_any_number_of_appointments(as_staff, people_a):
    def book_some(times: list[str]) -> None:
        for time in times:
            with tenant_context(org=people_a.org):
                patient = factories.patient()
            texted(book(people_a, patient=patient, provider=people_a.ada, time=time))
            answered(book(people_a, provider=people_a.grace, time=time), "confirmed", "sms")

    day_queries(as_staff)  # the session's first page records its activity; the next ones do not
    book_some(["08:00"])
    few = day_queries(as_staff)
    book_some(["09:00", "10:00", "11:00", "12:00", "13:00"])
    many = day_queries(as_staff)
    assert "Confirmed by SMS" in day_page(as_staff)
    assert few == many
