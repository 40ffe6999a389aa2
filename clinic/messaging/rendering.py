"""The words of the texts: the minimum a patient needs, nothing clinical (no
provider specialty, no appointment type)."""

from __future__ import annotations

from django.utils.formats import date_format

from clinic.appointments.models import Appointment
from clinic.appointments.phones import format_phone
from clinic.messaging.models import SmsSettings
from tenancy.models import Organization


def render_confirmation(appointment: Appointment, clinic: Organization, sms_settings: SmsSettings, *, link: str) -> str:
    local = appointment.starts_at.astimezone(clinic.zone)
    return sms_settings.template.format(
        first_name=appointment.patient.first_name,
        clinic=clinic.name,
        date=date_format(local, "D j M"),
        time=date_format(local, "H:i"),
        link=link,
        clinic_phone=_clinic_phone(sms_settings),
    )


def _clinic_phone(sms_settings: SmsSettings) -> str:
    number = sms_settings.clinic_phone or sms_settings.sender_number
    return format_phone(number) if number else "the clinic"


def help_text(clinic: Organization, sms_settings: SmsSettings) -> str:
    return (
        f"{clinic.name}: appointment texts. Reply C to confirm, N to cancel. "
        f"Call {_clinic_phone(sms_settings)} for help. Reply STOP to opt out."
    )


def opted_out_text(clinic: Organization) -> str:
    return f"{clinic.name}: you will receive no more texts from us. Reply START to opt back in."


def opted_in_text(clinic: Organization) -> str:
    return f"{clinic.name}: you will receive appointment texts again. Reply STOP to opt out."


def answered_text(clinic: Organization, appointment: Appointment, response: str) -> str:
    local = appointment.starts_at.astimezone(clinic.zone)
    when = f"{date_format(local, 'D j M')} at {date_format(local, 'H:i')}"
    if response == "confirmed":
        return f"{clinic.name}: thank you, your appointment on {when} is confirmed."
    return f"{clinic.name}: your appointment on {when} is cancelled. Call us to book another time."


def ambiguous_text(clinic: Organization, sms_settings: SmsSettings, count: int) -> str:
    return (
        f"{clinic.name}: you have {count} upcoming appointments, so we could not tell which one you meant. "
        f"Please use the link in each text or call {_clinic_phone(sms_settings)}."
    )
