"""SMS of the demo clinics: their settings, and a few texts already exchanged, so the
SMS log and inbox have something to show even at night, when the sending window is
shut and the worker texts nobody. The numbers come from ranges reserved for fiction
(+1 202-555-01xx; Ofcom's +44 20 7946 0xxx), like the demo patients'.

The texts take the real paths: a confirmation request claimed and handed to the
console backend as the worker does (clinic.messaging.delivery), and the patient's
answer received as the inbound webhook receives it (clinic.messaging.inbound), which
confirms, cancels, opts the number out or files the text in the inbox."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinic.appointments.models import Appointment, Patient
from clinic.messaging import delivery, inbound, optouts
from clinic.messaging.compliance_models import SmsOptOut
from clinic.messaging.models import ConfirmationRequest, SmsMessage, SmsSettings
from clinic.messaging.quiet_hours import send_time
from clinic.messaging.services import sms_settings_save
from tenancy.models import Organization

DEMO_NUMBERS = {
    # slug: (sender number, clinic phone)
    "northside": ("+12025550199", "+12025550198"),
    "lakeview": ("+442079460999", "+442079460998"),
}
QUESTIONS = {
    "northside": "Can I bring my son to this appointment? He has had a cough all week.",
    "lakeview": "Hi, is there parking near the practice?",
}
STOP = "STOP"
# A clinic that heard from a patient this recently already has a conversation to show.
QUIET_FOR = dt.timedelta(hours=24)
# Texted appointments start at least this far ahead, so the answers still apply when shown.
LEAD = dt.timedelta(hours=3)
HORIZON = dt.timedelta(days=3)


def set_up_demo_messaging(slug: str) -> None:
    """Turn texts on for a demo clinic (inside its tenant context), with the defaults."""
    numbers = DEMO_NUMBERS.get(slug)
    if numbers is None:
        return
    sender, phone = numbers
    sms_settings_save(enabled=True, sender_number=sender, clinic_phone=phone, lead_minutes=[48 * 60, 2 * 60])


def exchange_demo_texts(slug: str) -> int:
    """Inside a demo clinic's tenant context: text a few patients with appointments in
    the coming days and answer as they would (a confirmation, a cancellation, a
    question for the inbox and, once per clinic, a STOP). Nothing when the clinic heard
    from a patient in the last day, or when texts would go to a real provider (the
    demo numbers are fictional). Returns how many conversations were started."""
    sms_settings = SmsSettings.objects.first()
    now = timezone.now()
    if settings.SMS_BACKEND != "console" or sms_settings is None or not sms_settings.enabled:
        return 0
    if SmsMessage.objects.filter(direction=SmsMessage.Direction.INBOUND, created_at__gte=now - QUIET_FOR).exists():
        return 0
    replies = ["C", "N", QUESTIONS.get(slug, "Can I come a little later?")]
    if not SmsOptOut.objects.exists():
        replies.append(STOP)
    clinic = Organization.objects.get(pk=sms_settings.organization_id)
    started = 0
    for appointment, reply in zip(_appointments_to_text(sms_settings, now), replies, strict=False):
        if _text_and_answer(appointment, reply, clinic, sms_settings, now):
            started += 1
    return started


def _appointments_to_text(sms_settings: SmsSettings, now: dt.datetime):
    """Upcoming scheduled appointments with a request still to send, of patients (one
    each, numbers no other patient has) who take texts and wait for no other answer."""
    candidates = (
        Appointment.objects.filter(
            status=Appointment.Status.SCHEDULED,
            starts_at__gte=now + LEAD,
            starts_at__lt=now + HORIZON,
            patient__sms_consent=Patient.SmsConsent.OPTED_IN,
            sms_requests__status=ConfirmationRequest.Status.PENDING,
        )
        .select_related("patient")
        .distinct()
        .order_by("starts_at")
    )
    opted_out = optouts.opted_out_among((a.patient.phone for a in candidates), sms_settings.sender_number)
    seen = set()
    for appointment in candidates:
        phone = appointment.patient.phone
        if phone in seen or phone in opted_out:
            continue
        seen.add(phone)
        shared = Patient.objects.filter(phone=phone).count() > 1
        if not shared and not inbound.open_requests_for(phone, now).exists():
            yield appointment


def _text_and_answer(appointment: Appointment, reply: str, clinic, sms_settings: SmsSettings, now) -> bool:
    request = appointment.sms_requests.filter(status=ConfirmationRequest.Status.PENDING).order_by("due_at").first()
    sent_at = _last_moment_in_window(appointment.patient, clinic, sms_settings, now)
    message = delivery.queue_confirmation(request.id, now=sent_at)
    if message is None:
        return False
    delivery.deliver(message.id, transaction.atomic)
    phone = appointment.patient.phone
    inbound.receive_text(
        provider_message_id=f"DEMO{uuid.uuid4().hex}",
        from_number=phone,
        to_number=sms_settings.sender_number,
        body=reply,
    )
    # The clinic's automatic answer, handed over at once like the request.
    for answer in SmsMessage.objects.filter(status=SmsMessage.Status.QUEUED, to_number=phone).values_list("id"):
        delivery.deliver(answer[0], transaction.atomic)
    return True


def _last_moment_in_window(patient: Patient, clinic, sms_settings: SmsSettings, now: dt.datetime) -> dt.datetime:
    """Now if the patient's sending window is open, else the last half hour before it
    shut: the request goes out as the worker would have sent it then."""
    for hours_back in range(0, 25):
        moment = now - dt.timedelta(hours=hours_back)
        if hours_back:
            moment = moment.replace(minute=30, second=0, microsecond=0)
        if send_time(moment, window=sms_settings, clinic_zone=clinic.zone, patient=patient).at <= moment:
            return moment
    return now
