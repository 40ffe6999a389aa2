"""Patients' replies: C/Y/YES/1 confirm, N/NO/2 cancel (CANCEL is always an opt-out),
the opt-out words opt out, START opts back in, HELP answers, anything else goes to the
inbox. A reply only ever touches the clinic whose number it was sent to."""

from __future__ import annotations

import pytest

from clinic.appointments.models import Appointment, AppointmentStatusChange, Patient
from clinic.messaging import delivery
from clinic.messaging.models import ConfirmationRequest, SmsMessage, SmsOptOut
from clinic.messaging.replies import Intent, parse_reply
from tenancy.context import tenant_context
from tests.support.sms import book_in, enable_sms, reply

pytestmark = pytest.mark.django_db
SENDER_A, SENDER_B = "+12025550199", "+12025550177"


@pytest.mark.parametrize(
    ("body", "awaiting", "intent"),
    [
        ("C", True, Intent.CONFIRM),
        (" y ", True, Intent.CONFIRM),
        ("Yes", True, Intent.CONFIRM),
        ("Yes", False, Intent.OPT_IN),
        ("1", False, Intent.CONFIRM),
        ("n", True, Intent.CANCEL),
        ("No.", True, Intent.CANCEL),
        ("2", False, Intent.CANCEL),
        ("CANCEL", True, Intent.OPT_OUT),
        ("Cancel", False, Intent.OPT_OUT),
        ("stop", True, Intent.OPT_OUT),
        ("Stop All", True, Intent.OPT_OUT),
        ("unsubscribe", False, Intent.OPT_OUT),
        ("end", True, Intent.OPT_OUT),
        ("Quit!", False, Intent.OPT_OUT),
        ("START", True, Intent.OPT_IN),
        ("unstop", False, Intent.OPT_IN),
        ("help", True, Intent.HELP),
        ("can I come at 3?", True, Intent.OTHER),
        ("", False, Intent.OTHER),
    ],
)
def test_replies_are_read_ignoring_case_and_spaces(body, awaiting, intent):
    assert parse_reply(body, awaiting_answer=awaiting) is intent


def texted(org, people, *, hours: float = 1.0, patient=None, provider=None) -> Appointment:
    """An appointment whose confirmation request has gone out."""
    with tenant_context(org=org):
        appointment = book_in(people, hours=hours, patient=patient, provider=provider)
        for request in ConfirmationRequest.objects.filter(appointment=appointment, status="pending"):
            delivery.queue_confirmation(request.id)
        return appointment


@pytest.fixture
def clinic_a(org_a, people_a):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
    return people_a


def status_of(org, appointment) -> str:
    with tenant_context(org=org):
        return Appointment.objects.get(pk=appointment.pk).status


def outbound_bodies(org) -> list[str]:
    with tenant_context(org=org):
        return list(
            SmsMessage.objects.filter(direction="out", kind="reply")
            .order_by("created_at")
            .values_list("body", flat=True)
        )


def test_c_confirms_through_the_services_and_says_it_came_by_sms(client, org_a, clinic_a):
    appointment = texted(org_a, clinic_a)
    assert reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body=" c ").status_code == 200
    assert status_of(org_a, appointment) == "confirmed"
    with tenant_context(org=org_a):
        change = AppointmentStatusChange.objects.filter(appointment=appointment).last()
        assert (change.to_status, change.via) == ("confirmed", "sms")
        inbound = SmsMessage.objects.get(direction="in")
        assert inbound.appointment_id == appointment.id and inbound.patient_id == clinic_a.jane.id
        request = ConfirmationRequest.objects.get(appointment=appointment, status="queued")
        assert (request.response, request.responded_via) == ("confirmed", "sms")
    assert "is confirmed" in outbound_bodies(org_a)[0]


def test_n_cancels_and_frees_the_slot(client, org_a, clinic_a):
    appointment = texted(org_a, clinic_a)
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="N")
    assert status_of(org_a, appointment) == "cancelled"
    assert "is cancelled" in outbound_bodies(org_a)[0]


def test_cancel_is_an_opt_out_not_a_cancellation_even_with_an_appointment_awaiting_an_answer(client, org_a, clinic_a):
    appointment = texted(org_a, clinic_a)
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="CANCEL")
    assert status_of(org_a, appointment) == "scheduled"
    with tenant_context(org=org_a):
        assert Patient.objects.get(pk=clinic_a.jane.pk).sms_consent == "opted_out"
        assert SmsOptOut.objects.get().keyword == "CANCEL"
    assert len(outbound_bodies(org_a)) == 1
    assert "no more texts" in outbound_bodies(org_a)[0]


def test_cancel_with_nothing_awaiting_an_answer_is_an_opt_out(client, org_a, clinic_a):
    with tenant_context(org=org_a):
        appointment = book_in(clinic_a, hours=80)  # requests planned, none texted yet
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="CANCEL")
    assert status_of(org_a, appointment) == "scheduled"
    with tenant_context(org=org_a):
        assert Patient.objects.get(pk=clinic_a.jane.pk).sms_consent == "opted_out"
        assert SmsOptOut.objects.get().keyword == "CANCEL"
    assert len(outbound_bodies(org_a)) == 1
    assert "no more texts" in outbound_bodies(org_a)[0]


def test_stop_confirms_once_then_nothing_and_start_resumes(client, org_a, clinic_a):
    texted(org_a, clinic_a)
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="STOP")
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="STOP")
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="C")
    assert len(outbound_bodies(org_a)) == 1  # one confirmation of the opt-out, then silence
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="start")
    with tenant_context(org=org_a):
        assert Patient.objects.get(pk=clinic_a.jane.pk).sms_consent == "opted_in"
    assert "again" in outbound_bodies(org_a)[-1]


def test_an_opted_out_patient_gets_no_confirmation_request(org_a, clinic_a, sms_provider):
    from clinic.appointments.services import patient_set_sms_consent

    with tenant_context(org=org_a):
        patient_set_sms_consent(patient=clinic_a.jane, opted_in=False)
        appointment = book_in(clinic_a, hours=1)
        request = ConfirmationRequest.objects.get(appointment=appointment, status="pending")
        assert delivery.queue_confirmation(request.id) is None
        request.refresh_from_db()
        assert request.status == "skipped" and "opted out" in request.skip_reason
    assert sms_provider.sent == []


def test_help_answers_with_the_clinic_name_and_phone(client, org_a, clinic_a):
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="HELP")
    (body,) = outbound_bodies(org_a)
    assert "Clinic A" in body and "202-555-0198" in body


def test_anything_else_goes_to_the_inbox(client, org_a, clinic_a):
    texted(org_a, clinic_a)
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="Can I come at 3 instead?")
    with tenant_context(org=org_a):
        message = SmsMessage.objects.get(direction="in")
        assert message.needs_attention and message.handled_at is None
    assert outbound_bodies(org_a) == []


def test_a_reply_from_an_unknown_number_goes_to_the_inbox(client, org_a, clinic_a):
    reply(client, to=SENDER_A, from_="+12025550142", body="C")
    with tenant_context(org=org_a):
        message = SmsMessage.objects.get(direction="in")
        assert message.patient_id is None and message.needs_attention


def test_two_open_requests_are_not_guessed(client, org_a, clinic_a):
    first = texted(org_a, clinic_a, hours=1)
    second = texted(org_a, clinic_a, hours=3, provider=clinic_a.grace)
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="C")
    assert status_of(org_a, first) == status_of(org_a, second) == "scheduled"
    with tenant_context(org=org_a):
        assert SmsMessage.objects.get(direction="in").needs_attention
    assert "2 upcoming appointments" in outbound_bodies(org_a)[0]


def test_a_reply_without_an_open_request_changes_nothing(client, org_a, clinic_a):
    with tenant_context(org=org_a):
        appointment = book_in(clinic_a, hours=80)  # requests planned, none texted yet
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="C")
    assert status_of(org_a, appointment) == "scheduled"


@pytest.fixture
def same_phone_at_both(org_a, org_b, clinic_a, people_b):
    """One phone registered at clinic A and at clinic B: two patients."""
    from clinic.appointments.services import patient_update

    with tenant_context(org=org_b):
        enable_sms(SENDER_B)
        patient_update(patient=people_b.jane, phone=clinic_a.jane.phone)
    return clinic_a, people_b


def test_a_reply_to_a_touches_only_a(client, org_a, org_b, same_phone_at_both):
    people_a, people_b = same_phone_at_both
    mine = texted(org_a, people_a)
    theirs = texted(org_b, people_b)
    reply(client, to=SENDER_A, from_=people_a.jane.phone, body="N")
    assert status_of(org_a, mine) == "cancelled"
    assert status_of(org_b, theirs) == "scheduled"
    with tenant_context(org=org_b):
        assert SmsMessage.objects.filter(direction="in").count() == 0


def test_a_signed_webhook_to_a_cannot_touch_b_whatever_ids_it_carries(client, org_a, org_b, same_phone_at_both):
    people_a, people_b = same_phone_at_both
    theirs = texted(org_b, people_b)
    from tests.support.sms import INBOUND_URL, inbound_params, post_signed

    params = inbound_params(to=SENDER_A, from_=people_b.jane.phone, body="N")
    params.update(AccountSid="AC" + "1" * 32, AppointmentId=str(theirs.id), organization_id=str(org_b.id))
    assert post_signed(client, INBOUND_URL, params).status_code == 200
    assert status_of(org_b, theirs) == "scheduled"
    with tenant_context(org=org_b):
        assert SmsMessage.objects.count() == 1  # only B's own confirmation request


def test_only_texted_requests_are_marked_answered(client, org_a, clinic_a):
    appointment = texted(org_a, clinic_a)  # booked an hour ahead: the 48 h request was skipped
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="C")
    with tenant_context(org=org_a):
        rows = dict(ConfirmationRequest.objects.filter(appointment=appointment).values_list("status", "response"))
    assert rows == {"queued": "confirmed", "skipped": ""}
