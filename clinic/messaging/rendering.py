"""The words of the texts: the minimum a patient needs, nothing clinical (no
provider, specialty, appointment type or notes) unless the clinic opted in
(template_variables declares which placeholder is which)."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.utils.formats import date_format

from clinic.appointments.models import Appointment
from clinic.core.phones import format_phone
from clinic.messaging.models import SmsSettings
from clinic.messaging.template_variables import CLINICAL_FIELDS
from tenancy.models import Organization

NOTES_IN_TEXT = 160


def render_confirmation(appointment: Appointment, clinic: Organization, sms_settings: SmsSettings, *, link: str) -> str:
    return sms_settings.template.format(**template_values(appointment, clinic, sms_settings, link=link))


def template_values(appointment: Appointment, clinic: Organization, sms_settings: SmsSettings, *, link: str) -> dict:
    """Each declared placeholder's text for this appointment. Clinical ones are empty
    unless the clinic opted in: a template saved with them (before the opt-in was
    turned off, or by a path that skipped the checks) still reveals nothing."""
    local = appointment.starts_at.astimezone(clinic.zone)
    values = {
        "first_name": appointment.patient.first_name,
        "clinic": clinic.name,
        "date": date_format(local, "D j M"),
        "time": date_format(local, "H:i"),
        "link": link,
        "clinic_phone": _clinic_phone(sms_settings),
        "provider": _related(appointment, "provider", "display_name"),
        "specialty": _related(appointment, "provider", "specialty"),
        "appointment_type": _related(appointment, "appointment_type", "name"),
        "notes": " ".join(appointment.notes.split())[:NOTES_IN_TEXT],
    }
    if not sms_settings.clinical_details:
        values.update(dict.fromkeys(CLINICAL_FIELDS, ""))
    return values


def _related(appointment: Appointment, relation: str, attribute: str) -> str:
    """An attribute of a related row, or "" when there is none (the settings page's
    example appointment has no provider)."""
    try:
        return getattr(getattr(appointment, relation), attribute) or ""
    except ObjectDoesNotExist:
        return ""


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
