"""One factory per concrete TenantModel, used by the isolation coverage test.

Each factory creates a valid row in the current tenant context. A tenant model
without a factory here fails tests/tenancy/test_coverage.py: a new model must prove
its isolation before it lands."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

from django.db.models import Model

_counter = itertools.count()


def _ledger() -> Model:
    from tests.tenant_app.models import Ledger

    return Ledger.objects.create(name=f"Ledger {next(_counter)}")


def _entry() -> Model:
    from tests.tenant_app.models import Entry

    return Entry.objects.create(ledger=_ledger(), amount=next(_counter))


def patient(**fields) -> Model:
    from clinic.appointments.models import Patient

    n = next(_counter)
    values = {
        "first_name": "Jane",
        "last_name": f"Doe {n}",
        "date_of_birth": dt.date(1980, 5, 17),
        "phone": f"+1415555{n % 10000:04d}",
    }
    return Patient.objects.create(**{**values, **fields})


def provider(**fields) -> Model:
    from clinic.appointments.models import Provider

    return Provider.objects.create(**{"name": f"Ada Lovelace {next(_counter)}", "title": "Dr", **fields})


def working_hours(**fields) -> Model:
    from clinic.appointments.models import WorkingHours

    values = {"weekday": 0, "starts": dt.time(8), "ends": dt.time(17)}
    return WorkingHours.objects.create(**{"provider": fields.pop("provider", None) or provider(), **values, **fields})


def appointment_type(**fields) -> Model:
    from clinic.appointments.models import AppointmentType

    values = {"name": f"Check-up {next(_counter)}", "default_duration": 30}
    return AppointmentType.objects.create(**{**values, **fields})


def appointment(**fields) -> Model:
    """An appointment at a distinct hour, so factory appointments never overlap."""
    from clinic.appointments.models import Appointment

    starts_at = dt.datetime(2030, 1, 7, 9, tzinfo=dt.UTC) + dt.timedelta(hours=next(_counter))
    values = {"starts_at": starts_at, "ends_at": starts_at + dt.timedelta(minutes=30)}
    related = {
        "patient": fields.pop("patient", None) or patient(),
        "provider": fields.pop("provider", None) or provider(),
        "appointment_type": fields.pop("appointment_type", None) or appointment_type(),
    }
    return Appointment.objects.create(**{**related, **values, **fields})


def appointment_status_change(**fields) -> Model:
    from clinic.appointments.models import AppointmentStatusChange

    values = {"from_status": "scheduled", "to_status": "confirmed"}
    return AppointmentStatusChange.objects.create(
        **{"appointment": fields.pop("appointment", None) or appointment(), **values, **fields}
    )


def appointment_move(**fields) -> Model:
    from clinic.appointments.models import AppointmentMove

    moved = fields.pop("appointment", None) or appointment()
    values = {
        "from_starts_at": moved.starts_at,
        "from_ends_at": moved.ends_at,
        "from_provider": moved.provider,
        "to_starts_at": moved.starts_at + dt.timedelta(hours=1),
        "to_ends_at": moved.ends_at + dt.timedelta(hours=1),
        "to_provider": moved.provider,
    }
    return AppointmentMove.objects.create(**{"appointment": moved, **values, **fields})


def sms_settings(**fields) -> Model:
    from clinic.messaging.models import SmsSettings

    values = {"enabled": True, "sender_number": f"+1202555{next(_counter) % 10000:04d}", "lead_minutes": [2880, 120]}
    return SmsSettings.objects.create(**{**values, **fields})


def sms_message(**fields) -> Model:
    from clinic.messaging.models import SmsMessage

    values = {
        "direction": "out",
        "kind": "manual",
        "from_number": "+12025550100",
        "to_number": "+14155550100",
        "body": "Hello",
        "status": "queued",
    }
    return SmsMessage.objects.create(**{**values, **fields})


def confirmation_request(**fields) -> Model:
    from clinic.messaging.models import ConfirmationRequest

    visit = fields.pop("appointment", None) or appointment()
    values = {
        "appointment_starts_at": visit.starts_at,
        "due_at": visit.starts_at - dt.timedelta(hours=2),
        "expires_at": visit.starts_at,
        "lead_minutes": 120,
    }
    return ConfirmationRequest.objects.create(**{"appointment": visit, **values, **fields})


def api_key(**fields) -> Model:
    from clinic.api.keys import generate_key
    from clinic.api.models import ApiKey

    new = generate_key()
    values = {"name": f"Key {next(_counter)}", "scopes": ["read"], "prefix": new.prefix, "hash": new.hash}
    return ApiKey.objects.create(**{**values, **fields})


def idempotency_record(**fields) -> Model:
    from clinic.api.models import IdempotencyRecord

    values = {"caller": "key:test", "key": f"request-{next(_counter)}", "fingerprint": "0" * 64}
    return IdempotencyRecord.objects.create(**{**values, **fields})


def webhook_endpoint(**fields) -> Model:
    from clinic.api.models import WebhookEndpoint
    from clinic.api.webhooks.signing import new_secret

    values = {
        "url": f"https://hooks.example.org/{next(_counter)}",
        "event_types": ["appointment.created"],
        "secret": new_secret(),
    }
    return WebhookEndpoint.objects.create(**{**values, **fields})


def webhook_event(**fields) -> Model:
    from clinic.api.models import WebhookEvent

    return WebhookEvent.objects.create(**{"type": "ping", "payload": "{}", **fields})


def webhook_delivery(**fields) -> Model:
    from clinic.api.models import WebhookDelivery

    related = {
        "event": fields.pop("event", None) or webhook_event(),
        "endpoint": fields.pop("endpoint", None) or webhook_endpoint(),
    }
    return WebhookDelivery.objects.create(**{**related, **fields})


def sms_opt_out(**fields) -> Model:
    from clinic.messaging.models import SmsOptOut

    values = {
        "phone": f"+1202555{next(_counter) % 10000:04d}",
        "sender_number": "+12025550199",
        "opted_out": True,
        "method": "keyword",
        "keyword": "STOP",
    }
    return SmsOptOut.objects.create(**{**values, **fields})


def sms_consent_record(**fields) -> Model:
    from clinic.messaging.models import SmsConsentRecord

    values = {"consented": True, "source": "staff", "wording": "I agree to texts."}
    if "patient_id" not in fields:
        values["patient_id"] = patient().pk
    return SmsConsentRecord.objects.create(**{**values, **fields})


def audit_event(**fields) -> Model:
    from clinic.audit.models import AuditEvent

    values = {"action": AuditEvent.Action.VIEW, "actor_type": AuditEvent.Actor.SYSTEM, "object_type": "test"}
    return AuditEvent.objects.create(**{**values, **fields})


def invitation(**fields) -> Model:
    from django.utils import timezone

    from tenancy.models import Invitation
    from tenancy.tokens import new_token

    _, token_hash = new_token()
    values = {
        "email": f"invitee-{next(_counter)}@example.test",
        "role": "staff",
        "token_hash": token_hash,
        "expires_at": timezone.now() + dt.timedelta(days=7),
    }
    # The database takes an invitation only from an owner or admin of the clinic.
    from tenancy.context import current_user_id, tenant_context
    from tenancy.models import Membership

    inviter = current_user_id() or Membership.objects.filter(role="owner").values_list("user_id", flat=True).first()
    with tenant_context(user=inviter):
        return Invitation.objects.create(**{**values, **fields})


def job_slot(**fields) -> Model:
    import uuid

    from django.utils import timezone

    from tenancy.models import JobSlot

    values = {"kind": "webhooks", "slot": next(_counter), "holder": uuid.uuid4(), "held_until": timezone.now()}
    return JobSlot.objects.create(**{**values, **fields})


def security_settings(**fields) -> Model:
    from clinic.accounts.models import SecuritySettings

    return SecuritySettings.objects.create(**{"require_two_factor": False, **fields})


def calendar_feed(**fields) -> Model:
    from clinic.calendars.models import CalendarFeed
    from tenancy.tokens import new_token

    _, token_hash = new_token()
    return CalendarFeed.objects.create(**{"token_hash": token_hash, **fields})


def calendar_settings(**fields) -> Model:
    from clinic.calendars.models import CalendarSettings

    return CalendarSettings.objects.create(**{"allow_patient_details": False, **fields})


def caldav_connection(**fields) -> Model:
    from clinic.calendars.caldav import credentials
    from clinic.calendars.models import CalDAVConnection

    defaults = {"url": "https://dav.example.org/calendars/ada/clinic/", "username": "ada"}
    if "provider" not in fields:
        defaults["provider"] = provider()
    encrypted = credentials.encrypt(fields.pop("password", "app-password"))
    return CalDAVConnection.objects.create(**{**defaults, "password_encrypted": encrypted, **fields})


def caldav_event(**fields) -> Model:
    from clinic.calendars.models import CalDAVEvent

    if "connection" not in fields:
        fields["connection"] = caldav_connection()
    if "appointment" not in fields:
        fields["appointment"] = appointment(provider=fields["connection"].provider)
    return CalDAVEvent.objects.create(**{"etag": '"1"', **fields})


def busy_calendar(**fields) -> Model:
    from clinic.calendars.models import BusyCalendar

    fields.setdefault("provider", provider())
    return BusyCalendar.objects.create(**{"name": "Private", "url": "https://calendar.example.org/basic.ics", **fields})


def busy_interval(**fields) -> Model:
    import datetime as dt

    from django.utils import timezone

    from clinic.calendars.models import BusyInterval

    calendar = fields.pop("busy_calendar", None) or busy_calendar()
    starts = timezone.now()
    return BusyInterval.objects.create(
        **{
            "busy_calendar": calendar,
            "provider_id": calendar.provider_id,
            "starts_at": starts,
            "ends_at": starts + dt.timedelta(hours=1),
            **fields,
        }
    )


def voice_settings(**fields) -> Model:
    from clinic.voice.models import VoiceSettings

    values = {"voice_number": f"+1202556{next(_counter) % 10000:04d}", "open_days": [0, 1, 2, 3, 4]}
    return VoiceSettings.objects.create(**{**values, **fields})


def call(**fields) -> Model:
    from clinic.voice.models import Call

    values = {"call_sid": f"CA{next(_counter):032d}", "from_number": "+14155550100", "to_number": "+12025550100"}
    return Call.objects.create(**{**values, **fields})


def voicemail(**fields) -> Model:
    from clinic.voice.models import Voicemail

    values = {"recording_sid": f"RE{next(_counter):032d}", "status": "pending"}
    values.update(fields)
    values.setdefault("call", call())
    return Voicemail.objects.create(**values)


TENANT_FACTORIES: dict[str, Callable[[], Model]] = {
    "tenant_app.Ledger": _ledger,
    "tenant_app.Entry": _entry,
    "appointments.Patient": patient,
    "appointments.Provider": provider,
    "appointments.WorkingHours": working_hours,
    "appointments.AppointmentType": appointment_type,
    "appointments.Appointment": appointment,
    "appointments.AppointmentStatusChange": appointment_status_change,
    "appointments.AppointmentMove": appointment_move,
    "messaging.SmsSettings": sms_settings,
    "messaging.SmsMessage": sms_message,
    "messaging.ConfirmationRequest": confirmation_request,
    "messaging.SmsOptOut": sms_opt_out,
    "messaging.SmsConsentRecord": sms_consent_record,
    "api.ApiKey": api_key,
    "api.IdempotencyRecord": idempotency_record,
    "api.WebhookEndpoint": webhook_endpoint,
    "api.WebhookEvent": webhook_event,
    "api.WebhookDelivery": webhook_delivery,
    "audit.AuditEvent": audit_event,
    "tenancy.Invitation": invitation,
    "tenancy.JobSlot": job_slot,
    "accounts.SecuritySettings": security_settings,
    "calendars.CalendarFeed": calendar_feed,
    "calendars.CalendarSettings": calendar_settings,
    "calendars.CalDAVConnection": caldav_connection,
    "calendars.CalDAVEvent": caldav_event,
    "calendars.BusyCalendar": busy_calendar,
    "calendars.BusyInterval": busy_interval,
    "voice.VoiceSettings": voice_settings,
    "voice.Call": call,
    "voice.Voicemail": voicemail,
}
