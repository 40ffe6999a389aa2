"""Example requests and responses for the OpenAPI description."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

PATIENT_ID = "0d6c1e9a-7b2f-4c3d-8e5f-1a2b3c4d5e6f"
PROVIDER_ID = "8a4f2f86-3d55-4a0e-9f0b-6a3c1d2e4b5f"
TYPE_ID = "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b"
APPOINTMENT_ID = "5f0c6a43-1f7e-4a55-9a55-2c1f3e0b8d11"

PATIENT = {
    "id": PATIENT_ID,
    "first_name": "Jane",
    "last_name": "Doe",
    "date_of_birth": "1980-05-17",
    "phone": "+12025550123",
    "email": "jane.doe@example.org",
    "sms_consent": "opted_in",
    "sms_consent_changed_at": "2030-01-02T10:15:00-05:00",
    "sms_consent_source": "staff",
    "sms_number_opted_out": False,
    "notes": "",
    "created_at": "2030-01-02T10:15:00-05:00",
    "updated_at": "2030-01-02T10:15:00-05:00",
}
PROVIDER = {
    "id": PROVIDER_ID,
    "title": "Dr",
    "name": "Ada Lovelace",
    "display_name": "Dr Ada Lovelace",
    "specialty": "General practice",
    "active": True,
    "created_at": "2030-01-01T08:00:00-05:00",
}
APPOINTMENT_TYPE = {"id": TYPE_ID, "name": "Check-up", "default_duration": 30, "colour": "#3b82f6", "active": True}
APPOINTMENT = {
    "id": APPOINTMENT_ID,
    "patient": PATIENT_ID,
    "provider": PROVIDER_ID,
    "appointment_type": TYPE_ID,
    "starts_at": "2030-01-07T09:00:00-05:00",
    "ends_at": "2030-01-07T09:30:00-05:00",
    "status": "scheduled",
    "notes": "",
    "status_changed_at": "2030-01-02T10:20:00-05:00",
    "created_at": "2030-01-02T10:20:00-05:00",
    "updated_at": "2030-01-02T10:20:00-05:00",
}
SMS_MESSAGE = {
    "id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "direction": "out",
    "kind": "confirmation",
    "from_number": "+12025550100",
    "to_number": "+12025550123",
    "body": "Hi Jane, this is Northside Family Clinic confirming your appointment on Mon 7 Jan at 09:00. …",
    "patient": PATIENT_ID,
    "appointment": APPOINTMENT_ID,
    "status": "delivered",
    "provider_message_id": "SM2f4c0b8e5d1a4e7f9b3c6d8e0a1b2c3d",
    "error_code": "",
    "error_message": "",
    "created_at": "2030-01-05T09:00:04-05:00",
    "status_changed_at": "2030-01-05T09:00:09-05:00",
}
VOICEMAIL = {
    "id": "9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b",
    "call_sid": "CA5e2b7c9d1f3a4b6c8d0e2f4a6b8c0d1e",
    "from_number": "+12025550123",
    "to_number": "+12025550100",
    "patient": PATIENT_ID,
    "candidate_patients": [],
    "status": "stored",
    "duration_seconds": 14,
    "transcript": "Hello, this is Jane Doe, I need to move my appointment on Monday. Please call me back.",
    "transcript_status": "completed",
    "audio_url": "https://clinic.example.org/voicemail-audio/eyJvIjoi…",
    "audio_content_type": "audio/x-wav",
    "error": "",
    "received_at": "2030-01-05T19:42:10-05:00",
    "handled_at": None,
}
WEBHOOK_ENDPOINT = {
    "id": "2b1f0e6c-5a4d-4c3b-9a8f-7e6d5c4b3a21",
    "url": "https://booking.example.org/hooks/clinic",
    "description": "Booking website",
    "event_types": ["appointment.created", "appointment.cancelled"],
    "active": True,
    "disabled_at": None,
    "disabled_reason": "",
    "consecutive_failures": 0,
    "created_at": "2030-01-02T10:00:00-05:00",
    "rotation_ends_at": None,
}
WEBHOOK_ENDPOINT_ROTATED = {
    **WEBHOOK_ENDPOINT,
    "rotation_ends_at": "2030-01-10T09:00:00-05:00",
    "secret": "whsec_2Yk4nQ0bW8rVg1uTq6sXe3pLm9aZc7dHf5jKo8iN0yE=",
}
WEBHOOK_ENDPOINT_CREATED = {**WEBHOOK_ENDPOINT, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw3vLvgtpt0fA="}
WEBHOOK_ENDPOINT_OFF = {
    **WEBHOOK_ENDPOINT,
    "active": False,
    "disabled_at": "2030-01-09T16:45:00-05:00",
    "disabled_reason": "Turned off.",
}
WEBHOOK_DELIVERY = {
    "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "event": "evt_3f2e1d0c9b8a4f7e8d6c5b4a3f2e1d0c",
    "event_type": "appointment.created",
    "status": "pending",
    "attempts": 2,
    "response_status_code": 503,
    "last_error": "HTTP 503",
    "created_at": "2030-01-02T10:20:00-05:00",
    "next_attempt_at": "2030-01-02T10:20:31-05:00",
    "delivered_at": None,
}
WEBHOOK_PING = {
    **WEBHOOK_DELIVERY,
    "event_type": "ping",
    "attempts": 0,
    "response_status_code": None,
    "last_error": "",
    "next_attempt_at": "2030-01-02T10:20:00-05:00",
}


def response(name: str, value, status: int = 200) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[str(status)])


def request(name: str, value) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


def page(resource: str, item: dict) -> OpenApiExample:
    """A list's example: drf-spectacular puts the item in a page itself ({"next", "results"})."""
    return response(f"A page of {resource}", item)
