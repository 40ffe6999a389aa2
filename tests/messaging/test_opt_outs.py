"""Opt-outs belong to the phone number, per sender number: a STOP from a number that
is nobody's is kept, a patient registered with it later is not texted, every patient
with the number shares it, START/UNSTOP/YES lift it with a confirmation, and clinic
B's list neither touches nor shows in clinic A."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from clinic.appointments.models import Patient
from clinic.appointments.services import patient_create, patient_update
from clinic.messaging import delivery, optouts
from clinic.messaging.models import ConfirmationRequest, SmsMessage, SmsOptOut
from clinic.messaging.services import (
    send_confirmation_now,
    send_text_by_hand,
    sms_number_opt_out,
    sms_number_set_opt_out,
)
from tenancy.context import tenant_context
from tests.support.people import login
from tests.support.sms import book_in, enable_sms, reply

pytestmark = pytest.mark.django_db
SENDER_A, SENDER_B = "+12025550199", "+12025550177"
STRANGER = "+12025550142"


@pytest.fixture
def clinic_a(org_a, people_a):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
    return people_a


def register(phone: str, first_name: str = "Tom") -> Patient:
    return patient_create(first_name=first_name, last_name="Later", date_of_birth=dt.date(1990, 1, 1), phone=phone)


def replies_to(org, phone: str) -> list[str]:
    with tenant_context(org=org):
        return list(
            SmsMessage.objects.filter(direction="out", kind="reply", to_number=phone)
            .order_by("created_at")
            .values_list("body", flat=True)
        )


def confirmation_skipped(people, patient) -> str:
    """Book the patient an hour ahead and try to text the confirmation: the skip reason."""
    appointment = book_in(people, hours=1, patient=patient)
    request = ConfirmationRequest.objects.get(appointment=appointment, status="pending")
    assert delivery.queue_confirmation(request.id) is None
    request.refresh_from_db()
    assert request.status == "skipped"
    return request.skip_reason


def test_a_stop_from_an_unknown_number_keeps_a_patient_registered_later_from_being_texted(
    client, org_a, owner_a, clinic_a, sms_provider
):
    reply(client, to=SENDER_A, from_=STRANGER, body="STOP")
    with tenant_context(org=org_a):
        event = SmsOptOut.objects.get()
        assert (event.phone, event.sender_number, event.opted_out, event.method, event.keyword) == (
            STRANGER,
            SENDER_A,
            True,
            "keyword",
            "STOP",
        )
        assert not SmsMessage.objects.get(direction="in").needs_attention  # kept, not left to the inbox
        tom = register(STRANGER)
        assert tom.sms_consent == "opted_in"  # the patient agreed at the desk, but the number said STOP
        assert "opted out" in confirmation_skipped(clinic_a, tom)
        appointment = book_in(clinic_a, hours=5, patient=tom)
        with pytest.raises(ValidationError, match="replying STOP"):
            send_confirmation_now(appointment=appointment, requested_by=None)
        with pytest.raises(ValidationError, match="replying STOP"):
            send_text_by_hand(patient=tom, body="Hello", sent_by=owner_a)
    assert ["no more texts" in body for body in replies_to(org_a, STRANGER)] == [True]
    assert sms_provider.sent == []


def test_the_patient_page_says_why_texts_are_off(client, org_a, staff_a, clinic_a):
    reply(client, to=SENDER_A, from_=STRANGER, body="Stop")
    with tenant_context(org=org_a):
        tom = register(STRANGER)
        day = SmsOptOut.objects.get().at.astimezone(org_a.zone)
    login(client, staff_a, org=org_a)
    body = client.get(f"/patients/{tom.pk}/").content.decode()
    assert f"This number opted out by replying STOP on {day:%d/%m/%Y}." in body  # clinic A: day first
    assert "Opt back in" in body
    client.post(f"/patients/{tom.pk}/sms-opt-in/", {"reason": "Asked at the desk"})
    body = client.get(f"/patients/{tom.pk}/").content.decode()  # the latest event decides
    assert "opted out" not in body and "Record opt-out" in body


def test_a_family_phone_shares_its_opt_out(client, org_a, clinic_a, sms_provider):
    """Jane texts STOP; she moves to a number of her own and the family phone becomes
    her son's: he is not texted on it either, whoever registered it."""
    family_phone = clinic_a.jane.phone
    reply(client, to=SENDER_A, from_=family_phone, body="STOP")
    with tenant_context(org=org_a):
        patient_update(patient=clinic_a.jane, phone="+12025550111")
        son = register(family_phone, first_name="Son")
        assert "opted out" in confirmation_skipped(clinic_a, son)
        assert optouts.may_text(son) is False
        assert Patient.objects.get(pk=clinic_a.jane.pk).sms_consent == "opted_out"  # her own STOP
    assert sms_provider.sent == []


@pytest.mark.parametrize("word", ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "Quit."])
def test_each_opt_out_keyword_opts_the_number_out_with_one_confirmation(client, org_a, clinic_a, word):
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body=word)
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body=word)
    with tenant_context(org=org_a):
        assert optouts.blocking_opt_out(clinic_a.jane.phone, SENDER_A) is not None
        assert SmsOptOut.objects.count() == 1  # the second changes nothing
        assert Patient.objects.get(pk=clinic_a.jane.pk).sms_consent == "opted_out"
    assert len(replies_to(org_a, clinic_a.jane.phone)) == 1


@pytest.mark.parametrize("word", ["START", "unstop", "Yes"])
def test_each_opt_in_keyword_lifts_the_opt_out_with_a_confirmation(client, org_a, clinic_a, word, sms_provider):
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="STOP")
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body=word)
    with tenant_context(org=org_a):
        assert optouts.blocking_opt_out(clinic_a.jane.phone, SENDER_A) is None
        history = list(SmsOptOut.objects.order_by("at").values_list("opted_out", "keyword"))
        assert history == [(True, "STOP"), (False, word.upper())]  # the opt-out is kept, lifted
        assert Patient.objects.get(pk=clinic_a.jane.pk).sms_consent == "opted_in"
        appointment = book_in(clinic_a, hours=1)
        request = ConfirmationRequest.objects.get(appointment=appointment, status="pending")
        assert delivery.queue_confirmation(request.id) is not None
    bodies = replies_to(org_a, clinic_a.jane.phone)
    assert "no more texts" in bodies[0] and "again" in bodies[1]


def test_yes_with_nothing_to_lift_and_nothing_awaiting_goes_to_the_inbox(client, org_a, clinic_a):
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="YES")
    with tenant_context(org=org_a):
        assert SmsMessage.objects.get(direction="in").needs_attention
        assert not SmsOptOut.objects.exists()
    assert replies_to(org_a, clinic_a.jane.phone) == []


def test_yes_with_an_appointment_awaiting_an_answer_confirms_it(client, org_a, clinic_a):
    with tenant_context(org=org_a):
        appointment = book_in(clinic_a, hours=1)
        for request in ConfirmationRequest.objects.filter(appointment=appointment, status="pending"):
            delivery.queue_confirmation(request.id)
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="yes")
    with tenant_context(org=org_a):
        appointment.refresh_from_db()
        assert appointment.status == "confirmed"
        assert not SmsOptOut.objects.exists()


def test_a_confirmation_queued_before_an_opt_out_is_not_handed_over(org_a, clinic_a, sms_provider):
    from tests.support.sms import step_for

    with tenant_context(org=org_a):
        appointment = book_in(clinic_a, hours=1)
        request = ConfirmationRequest.objects.get(appointment=appointment, status="pending")
        message = delivery.queue_confirmation(request.id)
        # The number's list alone says no (an imported opt-out): the patient's own consent stands.
        sms_number_set_opt_out(phone=clinic_a.jane.phone, opted_out=True, method="import", reason="Old provider")
        assert Patient.objects.get(pk=clinic_a.jane.pk).sms_consent == "opted_in"
    delivery.deliver(message.id, step_for(org_a))
    with tenant_context(org=org_a):
        message.refresh_from_db()
        assert (message.status, message.error_code) == ("failed", "opted_out")
    assert sms_provider.sent == []


def test_an_opt_out_applies_to_its_sender_number_only(org_a, clinic_a):
    with tenant_context(org=org_a):
        sms_number_opt_out(phone=clinic_a.jane.phone, method="staff", sender_number="+12025550100")
        assert optouts.blocking_opt_out(clinic_a.jane.phone, SENDER_A) is None
        assert optouts.blocking_opt_out(clinic_a.jane.phone, "+12025550100") is not None


@pytest.fixture
def same_phone_at_both(org_a, org_b, clinic_a, people_b):
    with tenant_context(org=org_b):
        enable_sms(SENDER_B)
        patient_update(patient=people_b.jane, phone=clinic_a.jane.phone)
    return clinic_a, people_b


def test_clinic_bs_opt_out_neither_stops_nor_shows_in_clinic_a(client, org_a, org_b, same_phone_at_both):
    people_a, people_b = same_phone_at_both
    phone = people_a.jane.phone
    reply(client, to=SENDER_B, from_=phone, body="STOP")
    with tenant_context(org=org_b):
        assert optouts.blocking_opt_out(phone, SENDER_B) is not None
    with tenant_context(org=org_a):
        assert not SmsOptOut.objects.exists()
        assert optouts.number_history(phone) == []
        assert optouts.blocking_opt_out(phone, SENDER_B) is None  # B's row is invisible, even by B's sender
        assert Patient.objects.get(pk=people_a.jane.pk).sms_consent == "opted_in"
        appointment = book_in(people_a, hours=1)
        request = ConfirmationRequest.objects.get(appointment=appointment, status="pending")
        assert delivery.queue_confirmation(request.id) is not None


def test_the_opt_out_pages_and_actions_of_clinic_b_are_404_to_clinic_a(client, org_a, staff_a, people_a, people_b):
    login(client, staff_a, org=org_a)
    for action, data in (("sms-opt-out", {}), ("sms-opt-in", {"reason": "asked"})):
        assert client.post(f"/patients/{people_b.jane.pk}/{action}/", data).status_code == 404
    with tenant_context(org=people_b.org):
        assert not SmsOptOut.objects.exists()
        assert Patient.objects.get(pk=people_b.jane.pk).sms_consent == "opted_in"
