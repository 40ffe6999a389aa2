"""A family phone: patients of one clinic sharing one number. A reply applies when
exactly one appointment of the number's patients awaits an answer, and is never
guessed between two; STOP and START are the number's and every patient's with it; a
text that is none of theirs alone is stored with no patient and names them in the
inbox. Clinic B's patient with the same number is another clinic's business."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.appointments.models import Appointment, Patient
from clinic.appointments.services import patient_create, patient_update
from clinic.messaging import delivery, optouts
from clinic.messaging.models import ConfirmationRequest, SmsMessage
from tenancy.context import tenant_context
from tests.support.people import login
from tests.support.sms import book_in, enable_sms, reply

pytestmark = pytest.mark.django_db
SENDER_A, SENDER_B = "+12025550199", "+12025550177"


@pytest.fixture
def family(org_a, people_a):
    """Jane Doe and her son Tom share Jane's phone at clinic A."""
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
        people_a.tom = patient_create(
            first_name="Tom", last_name="Doe", date_of_birth=dt.date(2015, 3, 1), phone=people_a.jane.phone
        )
    return people_a


@pytest.fixture
def also_at_b(org_b, people_b, family):
    """Clinic B's Jane has the family phone too."""
    with tenant_context(org=org_b):
        enable_sms(SENDER_B)
        patient_update(patient=people_b.jane, phone=family.jane.phone)
    return people_b


def texted(people, patient, *, hours: float = 1.0, provider=None) -> Appointment:
    """An appointment of `patient` whose confirmation request has gone out."""
    with tenant_context(org=people.org):
        appointment = book_in(people, hours=hours, patient=patient, provider=provider)
        for request in ConfirmationRequest.objects.filter(appointment=appointment, status="pending"):
            assert delivery.queue_confirmation(request.id) is not None
        return appointment


def status_of(org, appointment) -> str:
    with tenant_context(org=org):
        return Appointment.objects.get(pk=appointment.pk).status


def inbound(org) -> SmsMessage:
    with tenant_context(org=org):
        return SmsMessage.objects.get(direction="in")


def test_a_reply_with_one_appointment_awaiting_answers_it_for_its_patient(client, org_a, family):
    toms = texted(family, family.tom)
    reply(client, to=SENDER_A, from_=family.jane.phone, body="C")
    assert status_of(org_a, toms) == "confirmed"
    message = inbound(org_a)
    assert (message.patient_id, message.appointment_id, message.needs_attention) == (family.tom.id, toms.id, False)


def test_with_one_appointment_awaiting_per_patient_nothing_is_guessed(client, org_a, family):
    janes = texted(family, family.jane, hours=1)
    toms = texted(family, family.tom, hours=3, provider=family.grace)
    reply(client, to=SENDER_A, from_=family.jane.phone, body="N")
    assert status_of(org_a, janes) == status_of(org_a, toms) == "scheduled"
    message = inbound(org_a)
    assert message.needs_attention and message.patient_id is None
    assert message.error_message.startswith("Sent from a number shared by Jane Doe and Tom Doe.")
    assert "2 appointments are waiting for an answer" in message.error_message


def test_the_inbox_links_the_appointments_a_reply_could_be_for(client, org_a, staff_a, family):
    janes = texted(family, family.jane, hours=1)
    toms = texted(family, family.tom, hours=3, provider=family.grace)
    reply(client, to=SENDER_A, from_=family.jane.phone, body="N")
    login(client, staff_a, org_a)
    page = client.get("/sms/inbox/").content.decode()
    assert "Waiting for this number's answer" in page
    for appointment in (janes, toms):
        assert f'href="/appointments/{appointment.pk}/"' in page
    assert page.index(str(janes.pk)) < page.index(str(toms.pk))  # soonest first


def test_a_text_from_a_family_phone_names_its_patients_in_the_inbox(client, org_a, staff_a, family):
    reply(client, to=SENDER_A, from_=family.jane.phone, body="Can Tom come at 3 instead?")
    message = inbound(org_a)
    assert message.patient_id is None and message.needs_attention
    assert message.error_message == "Sent from a number shared by Jane Doe and Tom Doe."
    login(client, staff_a, org_a)
    page = client.get("/sms/inbox/").content.decode()
    assert "Sent from a number shared by Jane Doe and Tom Doe." in page
    assert "Can Tom come at 3 instead?" in page


def test_a_stop_opts_out_every_patient_with_the_number_and_neither_is_texted(client, org_a, family, sms_provider):
    reply(client, to=SENDER_A, from_=family.jane.phone, body="STOP")
    with tenant_context(org=org_a):
        jane, tom = Patient.objects.get(pk=family.jane.pk), Patient.objects.get(pk=family.tom.pk)
        assert (jane.sms_consent, tom.sms_consent) == ("opted_out", "opted_out")
        assert optouts.may_text(jane) is optouts.may_text(tom) is False
        for patient in (jane, tom):
            appointment = book_in(family, hours=1, patient=patient, provider=family.grace if patient == tom else None)
            request = ConfirmationRequest.objects.get(appointment=appointment, status="pending")
            assert delivery.queue_confirmation(request.id) is None
        # One confirmation of the STOP, nothing else.
        assert SmsMessage.objects.filter(direction="out").count() == 1
    reply(client, to=SENDER_A, from_=family.jane.phone, body="START")
    with tenant_context(org=org_a):
        assert set(Patient.objects.filter(phone=family.jane.phone).values_list("sms_consent", flat=True)) == {
            "opted_in"
        }


def test_clinic_bs_patient_with_the_number_is_untouched(client, org_a, org_b, family, also_at_b):
    theirs = texted(also_at_b, also_at_b.jane)
    toms = texted(family, family.tom)
    reply(client, to=SENDER_A, from_=family.jane.phone, body="C")
    reply(client, to=SENDER_A, from_=family.jane.phone, body="STOP")
    assert status_of(org_a, toms) == "confirmed"
    assert status_of(org_b, theirs) == "scheduled"
    with tenant_context(org=org_b):
        patient = Patient.objects.get(pk=also_at_b.jane.pk)
        assert patient.sms_consent == "opted_in" and optouts.may_text(patient)
        assert not SmsMessage.objects.filter(direction="in").exists()
