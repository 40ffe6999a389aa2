"""A suspended or closed clinic on the surfaces that find their clinic without a
session: its calendar feeds serve no events, a patient's confirmation link shows no
patient and changes nothing (and pushes nothing to CalDAV), its worker jobs send no
text, deliver no event and write no calendar; a patient's STOP still opts out, and a
YES confirms nothing. Reactivation syncs the CalDAV calendars again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from clinic.api.models import WebhookDelivery
from clinic.api.webhooks.tasks import deliver_webhook
from clinic.appointments import services as appointment_services
from clinic.appointments.models import Appointment, Patient
from clinic.calendars import ics
from clinic.calendars.caldav.services import caldav_connection_create
from clinic.calendars.models import CalendarFeed
from clinic.lifecycle.services import clinic_close, clinic_reactivate, clinic_suspend
from clinic.messaging import delivery, tokens
from clinic.messaging.models import ConfirmationRequest, SmsMessage
from clinic.messaging.tasks import send_message
from tenancy.context import tenant_context
from tests.support.caldav import USERS
from tests.support.calendars import book, feed_path, make_feed, soon
from tests.support.people import make_user
from tests.support.sms import book_in, enable_sms, link_url, reply
from tests.support.webhooks import Receiver

pytestmark = pytest.mark.django_db
SENDER_A = "+12025550199"


@pytest.fixture
def operator(db):
    return make_user("platform_boss", is_staff=True, is_superuser=True)


def suspend(org, operator):
    clinic_suspend(organization_id=org.id, changed_by=operator, reason="Invoice 42 unpaid")


def close(org, operator):
    clinic_close(organization_id=org.id, changed_by=operator, reason="Practice retired")


def status_of(org, appointment) -> str:
    with tenant_context(org=org):
        return Appointment.objects.get(pk=appointment.pk).status


# --- The calendar feed --------------------------------------------------------------


@pytest.mark.parametrize("change", [suspend, close])
def test_it_refuses_the_feed_of_a_clinic_not_open(client, org_a, owner_a, people_a, operator, change):
    book(people_a, starts_at=soon(org_a))
    token = make_feed(org_a, owner_a, privacy="names")
    assert "Jane Doe" in client.get(feed_path(token)).content.decode()
    change(org_a, operator)
    response = client.get(feed_path(token))
    body = response.content.decode()
    # As a dead link: a calendar app simply gets no events, and learns nothing more.
    assert response.status_code == 404
    assert "VEVENT" not in body and "Jane" not in body and "Clinic A" not in body
    assert body == client.get(feed_path("x" * len(token))).content.decode()


def test_a_refused_feed_is_neither_marked_used_nor_audited(client, org_a, owner_a, people_a, operator):
    book(people_a, starts_at=soon(org_a))
    token = make_feed(org_a, owner_a, privacy="names")
    suspend(org_a, operator)
    client.get(feed_path(token))
    with tenant_context(org=org_a):
        assert CalendarFeed.objects.get().last_used_at is None


def test_the_feed_works_again_after_reactivation(client, org_a, owner_a, people_a, operator):
    book(people_a, starts_at=soon(org_a))
    token = make_feed(org_a, owner_a, privacy="names")
    suspend(org_a, operator)
    clinic_reactivate(organization_id=org_a.id, changed_by=operator, reason="Paid")
    assert "Jane Doe" in client.get(feed_path(token)).content.decode()


# --- The patient's confirmation link -----------------------------------------------


@pytest.fixture
def link(org_a, people_a, monkeypatch):
    """The link texted for a due request, and its appointment."""
    issued = []
    original = tokens.new_token

    def remember():
        token, digest = original()
        issued.append(token)
        return token, digest

    monkeypatch.setattr(tokens, "new_token", remember)
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
        appointment = book_in(people_a, hours=5)
        request = ConfirmationRequest.objects.get(appointment=appointment, lead_minutes=120)
        delivery.queue_confirmation(request.id)
    return issued[0], appointment


NEUTRAL = "This clinic can't take answers online right now"


@pytest.mark.parametrize("change", [suspend, close])
def test_it_refuses_the_link_of_a_clinic_not_open_showing_no_patient(client, link, org_a, operator, change):
    token, appointment = link
    assert "Hi Jane" in client.get(link_url(token)).content.decode()
    change(org_a, operator)
    response = client.get(link_url(token))
    page = response.content.decode()
    assert response.status_code == 403
    assert NEUTRAL in page and "call the clinic" in page
    local = appointment.starts_at.astimezone(org_a.zone)
    for private in ("Jane", "Doe", "Clinic A", local.strftime("%H:%M"), local.strftime("%B")):
        assert private not in page
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("change", [suspend, close])
def test_it_refuses_a_post_to_the_link_and_changes_nothing(client, link, org_a, operator, change):
    token, appointment = link
    change(org_a, operator)
    for answer in ("confirm", "cancel"):
        response = client.post(link_url(token), {"answer": answer})
        assert response.status_code == 403
        assert "Jane" not in response.content.decode()
    assert status_of(org_a, appointment) == "scheduled"
    with tenant_context(org=org_a):
        assert ConfirmationRequest.objects.get(appointment=appointment, lead_minutes=120).response == ""


def test_a_refused_post_pushes_nothing_to_caldav(client, link, org_a, people_a, operator, radicale, caldav_jobs):
    token, appointment = link
    calendar = radicale.make_calendar("ada", "clinic-refused-link-post")
    with tenant_context(org=org_a), caldav_jobs.capture(execute=True):
        caldav_connection_create(
            provider=people_a.ada, url=calendar, username="ada", password=USERS["ada"], created_by=None
        )
    caldav_jobs.run()
    assert len(radicale.hrefs(calendar, "ada")) == 1
    suspend(org_a, operator)
    with caldav_jobs.capture(execute=True):
        response = client.post(link_url(token), {"answer": "cancel"})
    assert response.status_code == 403
    assert caldav_jobs.waiting() == []
    assert len(radicale.hrefs(calendar, "ada")) == 1  # the event is still there, untouched


def test_the_link_answers_again_after_reactivation(client, link, org_a, operator):
    token, appointment = link
    suspend(org_a, operator)
    clinic_reactivate(organization_id=org_a.id, changed_by=operator, reason="Paid")
    assert client.post(link_url(token), {"answer": "confirm"}).status_code == 200
    assert status_of(org_a, appointment) == "confirmed"


# --- Inbound texts --------------------------------------------------------------------


def test_stop_from_a_patient_of_a_suspended_clinic_still_opts_out(org_a, people_a, operator):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
    suspend(org_a, operator)
    assert reply(Client(), to=SENDER_A, from_=people_a.jane.phone, body="STOP").status_code == 200
    with tenant_context(org=org_a):
        assert Patient.objects.get(pk=people_a.jane.pk).sms_consent == "opted_out"


def test_it_refuses_a_yes_to_a_suspended_clinic_and_keeps_it_for_the_inbox(org_a, people_a, operator):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
        appointment = book_in(people_a, hours=5)
        request = ConfirmationRequest.objects.get(appointment=appointment, lead_minutes=120)
        delivery.queue_confirmation(request.id)
    suspend(org_a, operator)
    assert reply(Client(), to=SENDER_A, from_=people_a.jane.phone, body="YES").status_code == 200
    assert status_of(org_a, appointment) == "scheduled"
    with tenant_context(org=org_a):
        received = SmsMessage.objects.get(direction="in")
        assert received.needs_attention and "suspended" in received.error_message
        assert not SmsMessage.objects.filter(kind="reply").exists()


def test_it_drops_texts_to_a_closed_clinic(org_a, people_a, operator):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
    close(org_a, operator)
    assert reply(Client(), to=SENDER_A, from_=people_a.jane.phone, body="HELP").status_code == 200
    with tenant_context(org=org_a):
        assert not SmsMessage.objects.exists()


# --- Worker jobs ------------------------------------------------------------------------


def test_it_refuses_to_send_a_suspended_clinics_queued_confirmation(org_a, people_a, operator, sms_provider):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
        request = ConfirmationRequest.objects.get(appointment=book_in(people_a, hours=5), lead_minutes=120)
        message = delivery.queue_confirmation(request.id)
    suspend(org_a, operator)
    send_message(organization_id=str(org_a.id), message_id=str(message.pk))
    assert sms_provider.sent == []
    with tenant_context(org=org_a):
        assert SmsMessage.objects.get(pk=message.pk).status == "queued"  # waits for the reactivation


def test_it_drops_a_closed_clinics_texts_even_its_automatic_answers(org_a, people_a, operator, sms_provider):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
    reply(Client(), to=SENDER_A, from_=people_a.jane.phone, body="STOP")
    with tenant_context(org=org_a):
        answer = SmsMessage.objects.get(kind="reply")
    close(org_a, operator)
    send_message(organization_id=str(org_a.id), message_id=str(answer.pk))
    assert sms_provider.sent == []


@pytest.mark.parametrize("change", [suspend, close])
def test_it_delivers_no_webhook_for_a_clinic_not_open(org_a, people_a, operator, change):
    from clinic.api.webhooks.services import webhook_endpoint_create

    with Receiver() as receiver:
        with tenant_context(org=org_a):
            webhook_endpoint_create(url=receiver.url)
            book_in(people_a, hours=30)
            pending = WebhookDelivery.objects.get(status="pending")
        change(org_a, operator)
        deliver_webhook(organization_id=str(org_a.id), delivery_id=str(pending.pk))
        assert receiver.requests == []
    with tenant_context(org=org_a):
        assert WebhookDelivery.objects.get(pk=pending.pk).attempts == 0


def test_it_writes_nothing_to_caldav_for_a_suspended_clinic_and_resyncs_after(
    org_a, people_a, operator, radicale, caldav_jobs
):
    calendar = radicale.make_calendar("ada", "clinic-suspended-push")
    with tenant_context(org=org_a), caldav_jobs.capture(execute=True):
        caldav_connection_create(
            provider=people_a.ada, url=calendar, username="ada", password=USERS["ada"], created_by=None
        )
        appointment = appointment_services.appointment_book(
            patient=people_a.jane,
            provider=people_a.ada,
            appointment_type=people_a.checkup,
            starts_at=timezone.now().replace(microsecond=0) + dt.timedelta(days=3),
            booked_by=None,
        )
    caldav_jobs.run()
    uid = ics.event_uid(appointment)
    assert radicale.event(calendar, uid, "ada") is not None
    # A cancellation whose push is still waiting when the clinic is suspended.
    with tenant_context(org=org_a), caldav_jobs.capture(execute=True):
        appointment_services.appointment_cancel(appointment=appointment, changed_by=None)
    suspend(org_a, operator)
    assert caldav_jobs.run() == 1
    assert radicale.event(calendar, uid, "ada") is not None  # not written while suspended
    with caldav_jobs.capture(execute=True):
        clinic_reactivate(organization_id=org_a.id, changed_by=operator, reason="Paid")
    caldav_jobs.run()
    assert radicale.event(calendar, uid, "ada") is None  # the sync catches up
