"""Data for the worker tests, created in the worker's own database by a
`manage.py shell` of its own (the worker is a separate process and sees only
committed rows). Prints JSON for the test to read."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from clinic.appointments.services import appointment_book, patient_create
from clinic.messaging.models import ConfirmationRequest
from clinic.messaging.services import sms_settings_save
from tenancy.context import tenant_context
from tenancy.services import organization_create


def clinic_with_due_texts(slug: str, sender: str, count: int, *, phone_offset: int = 0) -> dict:
    from clinic.appointments.models import AppointmentType, Provider

    owner = get_user_model().objects.create_user(
        username=f"{slug}-owner", email=f"{slug}@example.test", password="x-unused-x"
    )
    org = organization_create(name=slug.title(), slug=slug, timezone="UTC", owner=owner)
    starts_at = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    phones = []
    with tenant_context(org=org):
        sms_settings_save(
            enabled=True,
            sender_number=sender,
            lead_minutes=[12 * 60],
            send_from=dt.time(0, 0),
            send_until=dt.time(23, 59, 59),
        )
        kind = AppointmentType.objects.create(name="Visit", default_duration=30)
        for index in range(count):
            phone = f"+1202555{(phone_offset + index) % 10000:04d}"
            patient = patient_create(
                first_name=f"Pat{index}", last_name="Ient", date_of_birth=dt.date(1980, 1, 1), phone=phone
            )
            provider = Provider.objects.create(name=f"Provider {index}")
            appointment_book(
                patient=patient, provider=provider, appointment_type=kind, starts_at=starts_at, booked_by=None
            )
            phones.append(phone)
        requests = [str(pk) for pk in ConfirmationRequest.objects.filter(status="pending").values_list("id", flat=True)]
    return {"org": str(org.id), "sender": sender, "phones": phones, "requests": requests}


def seed(count: int = 1) -> None:
    clinics = [
        clinic_with_due_texts("worker-a", "+12025550161", count),
        clinic_with_due_texts("worker-b", "+12025550162", count, phone_offset=5000),
    ]
    print(json.dumps(clinics))  # noqa: T201


def seed_night_for_the_patient(opens_in_seconds: int) -> None:
    """A clinic (in UTC) whose patient lives where the sending window opens in
    `opens_in_seconds`: their zone is the fixed-offset one where it is about noon
    now, and the window starts that many seconds after the patient's "now". Their
    appointment's request is due at once by its lead time, so only the patient's
    quiet hours hold it. Prints the clinic, the phone and the request."""
    from clinic.appointments.models import AppointmentType, Provider

    now = timezone.now()
    offset = 12 - now.hour  # hours east of UTC where it is about noon: -11 to +12
    zone = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # POSIX names: the sign is reversed
    local = now.astimezone(ZoneInfo(zone)) + dt.timedelta(seconds=opens_in_seconds)
    owner = get_user_model().objects.create_user(
        username="night-owner", email="night@example.test", password="x-unused-x"
    )
    org = organization_create(name="Night", slug="worker-night", timezone="UTC", owner=owner)
    with tenant_context(org=org):
        sms_settings_save(
            enabled=True,
            sender_number="+12025550163",
            lead_minutes=[12 * 60],
            send_from=local.time().replace(microsecond=0),
            send_until=dt.time(23, 0),
        )
        patient = patient_create(
            first_name="Nia", last_name="Ght", date_of_birth=dt.date(1980, 1, 1), phone="+12025550170", timezone=zone
        )
        appointment_book(
            patient=patient,
            provider=Provider.objects.create(name="Provider"),
            appointment_type=AppointmentType.objects.create(name="Visit", default_duration=30),
            starts_at=now.replace(microsecond=0) + dt.timedelta(hours=3),
            booked_by=None,
        )
        request = ConfirmationRequest.objects.get()
    print(  # noqa: T201
        json.dumps({"org": str(org.id), "phone": patient.phone, "due_at": request.due_at.isoformat(), "zone": zone})
    )


def _reminder_clinic(slug: str, sender: str, *, zone: str = "UTC", send_from=dt.time(0, 0)):
    """A clinic with the default reminders (48 h and 2 h before), its appointment type
    and provider."""
    from clinic.appointments.models import AppointmentType, Provider

    owner = get_user_model().objects.create_user(
        username=f"{slug}-owner", email=f"{slug}@example.test", password="x-unused-x"
    )
    org = organization_create(name=slug.title(), slug=slug, timezone=zone, owner=owner)
    with tenant_context(org=org):
        sms_settings_save(
            enabled=True,
            sender_number=sender,
            lead_minutes=[48 * 60, 2 * 60],
            send_from=send_from,
            send_until=dt.time(23, 0) if send_from != dt.time(0, 0) else dt.time(23, 59, 59),
        )
        kind = AppointmentType.objects.create(name="Visit", default_duration=30)
        provider = Provider.objects.create(name="Provider")
    return org, kind, provider


def _book(org, kind, provider, phone: str, starts_at: dt.datetime, zone: str = ""):
    patient = patient_create(
        first_name="Rem", last_name="Inder", date_of_birth=dt.date(1980, 1, 1), phone=phone, timezone=zone
    )
    return appointment_book(
        patient=patient, provider=provider, appointment_type=kind, starts_at=starts_at, booked_by=None
    )


def _requests(appointment) -> dict:
    rows = ConfirmationRequest.objects.filter(appointment=appointment).order_by("-lead_minutes")
    return {str(r.lead_minutes): [r.status, r.due_at.isoformat(), r.skip_reason] for r in rows}


def seed_reminders_at_window_opening(opens_in_seconds: int) -> None:
    """Booked late in the evening for the next morning: the 48 h reminder is past and
    the 2 h one's own time is still in the night, so both wait for the window to open
    (in `opens_in_seconds`), as with a booking at 22:54 for 09:30."""
    now = timezone.now()
    offset = 12 - now.hour
    zone = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"
    opens = now.astimezone(ZoneInfo(zone)) + dt.timedelta(seconds=opens_in_seconds)
    org, kind, provider = _reminder_clinic("worker-morning", "+12025550164", zone=zone, send_from=opens.time())
    starts_at = now + dt.timedelta(hours=2, seconds=opens_in_seconds // 2)
    with tenant_context(org=org):
        appointment = _book(org, kind, provider, "+12025550171", starts_at, zone=zone)
        print(json.dumps({"org": str(org.id), "phone": "+12025550171", "requests": _requests(appointment)}))  # noqa: T201


def seed_booked_two_hours_ahead(seconds_past_two_hours: int) -> None:
    """Booked just over 2 h ahead: the 48 h reminder is due at once, the 2 h one
    `seconds_past_two_hours` later."""
    org, kind, provider = _reminder_clinic("worker-soon", "+12025550165")
    starts_at = timezone.now() + dt.timedelta(hours=2, seconds=seconds_past_two_hours)
    with tenant_context(org=org):
        appointment = _book(org, kind, provider, "+12025550172", starts_at)
        print(json.dumps({"org": str(org.id), "phone": "+12025550172", "requests": _requests(appointment)}))  # noqa: T201


def seed_sent_by_hand_before_the_worker(hours_ahead: float) -> None:
    """Booked `hours_ahead` ahead (the 48 h reminder is due at once), and staff press
    "Send confirmation now" before the worker has claimed that reminder."""
    from clinic.messaging.services import send_confirmation_now

    org, kind, provider = _reminder_clinic("worker-hand", "+12025550166")
    starts_at = timezone.now() + dt.timedelta(hours=hours_ahead)
    with tenant_context(org=org):
        appointment = _book(org, kind, provider, "+12025550173", starts_at)
        send_confirmation_now(appointment=appointment, requested_by=None)
        print(json.dumps({"org": str(org.id), "phone": "+12025550173", "requests": _requests(appointment)}))  # noqa: T201


def seed_requests_planned_apart(count: int) -> None:
    """Appointments whose two reminders are both pending and due, as requests planned
    before they were merged would be: the worker's claim must still text once."""
    from clinic.appointments.models import Provider

    org, kind, provider = _reminder_clinic("worker-apart", "+12025550167")
    starts_at = timezone.now() + dt.timedelta(hours=1)
    phones = [f"+1202555{2000 + index:04d}" for index in range(count)]
    with tenant_context(org=org):
        for index, phone in enumerate(phones):
            _book(org, kind, Provider.objects.create(name=f"Provider {index}"), phone, starts_at)
        ConfirmationRequest.objects.update(status="pending", skip_reason="", due_at=timezone.now())
    print(json.dumps({"org": str(org.id), "phones": phones}))  # noqa: T201
