"""The events outbox: each appointment change writes its event and one delivery per
subscribed, active endpoint in the change's own transaction; a change that rolls back
writes none and defers nothing; each change maps to its event type; the payload is the
appointment as the API renders it."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from clinic.api.models import WebhookDelivery, WebhookEvent
from clinic.api.webhooks.services import webhook_endpoint_create, webhook_endpoint_update
from clinic.appointments import services
from tenancy.context import tenant_context
from tests.support.sms import book_in

pytestmark = pytest.mark.django_db

ALL = [
    "appointment.created",
    "appointment.updated",
    "appointment.confirmed",
    "appointment.cancelled",
    "voicemail.received",
    "voicemail.transcribed",
]


def endpoint(org, *, event_types=None, url="https://hooks.example.org/clinic"):
    with tenant_context(org=org):
        return webhook_endpoint_create(url=url, event_types=event_types)[0]


def events_of(org) -> list[WebhookEvent]:
    with tenant_context(org=org):
        return list(WebhookEvent.objects.order_by("created_at"))


def deliveries_of(org) -> list[WebhookDelivery]:
    with tenant_context(org=org):
        return list(WebhookDelivery.objects.all())


def booking(people) -> dict:
    return {
        "patient": str(people.jane.pk),
        "provider": str(people.ada.pk),
        "appointment_type": str(people.checkup.pk),
        "starts_at": "2030-01-07T09:00:00+01:00",
    }


def test_a_booking_writes_one_event_and_a_delivery_per_subscribed_endpoint(
    api_a, people_a, django_capture_on_commit_callbacks
):
    first, second = endpoint(people_a.org), endpoint(people_a.org, url="https://other.example.org/in")
    endpoint(people_a.org, event_types=["appointment.cancelled"])  # not subscribed to bookings
    off = endpoint(people_a.org)
    with tenant_context(org=people_a.org):
        webhook_endpoint_update(endpoint=off, active=False)
    with django_capture_on_commit_callbacks() as deferred:
        response = api_a.post("appointments/", booking(people_a))
    assert response.status_code == 201
    (event,) = events_of(people_a.org)
    assert event.type == "appointment.created"
    assert {d.endpoint_id for d in deliveries_of(people_a.org)} == {first.pk, second.pk}
    assert {(d.status, d.attempts) for d in deliveries_of(people_a.org)} == {("pending", 0)}
    assert len(deferred) == 2  # one delivery job each, deferred once the request committed


def test_the_payload_is_the_appointment_as_the_api_renders_it(api_a, people_a):
    endpoint(people_a.org)
    created = api_a.post("appointments/", booking(people_a)).json()
    (event,) = events_of(people_a.org)
    payload = json.loads(event.payload)
    assert list(payload) == ["id", "type", "created_at", "data"]
    assert payload["id"] == event.public_id and payload["id"].startswith("evt_")
    assert payload["type"] == "appointment.created"
    assert payload["created_at"].endswith("+01:00")  # the clinic's time zone, as the API
    assert payload["data"] == created == api_a.get(f"appointments/{created['id']}/").json()


def test_a_change_that_rolls_back_writes_no_event_and_defers_nothing(people_a, django_capture_on_commit_callbacks):
    endpoint(people_a.org)
    with django_capture_on_commit_callbacks() as deferred, tenant_context(org=people_a.org):
        with pytest.raises(RuntimeError), transaction.atomic():
            book_in(people_a, hours=30)
            assert WebhookEvent.objects.count() == 1  # written in the change's transaction …
            raise RuntimeError("the rest of the request failed")
        assert WebhookEvent.objects.count() == 0  # … and gone with it
    assert deliveries_of(people_a.org) == []
    assert deferred == []


def test_a_booking_refused_by_the_api_writes_no_event(api_a, people_a):
    endpoint(people_a.org)
    assert api_a.post("appointments/", booking(people_a)).status_code == 201
    assert api_a.post("appointments/", booking(people_a)).status_code == 409  # double booking
    assert [event.type for event in events_of(people_a.org)] == ["appointment.created"]


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("confirm", "appointment.confirmed"),
        ("cancel", "appointment.cancelled"),
        ("arrived", "appointment.updated"),
    ],
)
def test_status_changes_map_to_their_event(api_a, people_a, step, expected):
    endpoint(people_a.org)
    appointment = api_a.post("appointments/", booking(people_a)).json()
    assert api_a.post(f"appointments/{appointment['id']}/{step}/").status_code == 200
    event = events_of(people_a.org)[-1]
    assert event.type == expected
    assert json.loads(event.payload)["data"]["status"] == {"arrived": "arrived"}.get(step, expected.split(".")[1])


def test_a_move_or_a_note_is_an_update_and_each_change_is_one_event(people_a):
    endpoint(people_a.org)
    with tenant_context(org=people_a.org):
        appointment = book_in(people_a, hours=30)
        services.appointment_set_status(appointment=appointment, status="confirmed", changed_by=None)
        services.appointment_update(appointment=appointment, notes="Bring the X-rays", changed_by=None)
        # Moving a confirmed appointment makes it scheduled again: one change, one event.
        services.appointment_update(
            appointment=appointment, starts_at=appointment.starts_at.replace(hour=7), changed_by=None
        )
    types = [event.type for event in events_of(people_a.org)]
    assert types == ["appointment.created", "appointment.confirmed", "appointment.updated", "appointment.updated"]
    assert json.loads(events_of(people_a.org)[-1].payload)["data"]["status"] == "scheduled"


def test_an_endpoint_gets_only_the_events_it_subscribed_to(people_a):
    cancellations = endpoint(people_a.org, event_types=["appointment.cancelled"])
    with tenant_context(org=people_a.org):
        appointment = book_in(people_a, hours=30)
        services.appointment_cancel(appointment=appointment, changed_by=None)
    assert [event.type for event in events_of(people_a.org)] == ["appointment.cancelled"]
    assert [d.endpoint_id for d in deliveries_of(people_a.org)] == [cancellations.pk]


def test_no_endpoint_no_event(people_a):
    with tenant_context(org=people_a.org):
        book_in(people_a, hours=30)
    assert events_of(people_a.org) == []


def test_another_clinics_endpoint_gets_nothing(people_a, people_b):
    mine, theirs = endpoint(people_a.org), endpoint(people_b.org)
    with tenant_context(org=people_a.org):
        book_in(people_a, hours=30)
    assert [d.endpoint_id for d in deliveries_of(people_a.org)] == [mine.pk]
    assert events_of(people_b.org) == [] and deliveries_of(people_b.org) == []
    assert theirs.pk not in {d.endpoint_id for d in deliveries_of(people_a.org)}


def test_every_subscribable_event_is_the_default(people_a):
    assert endpoint(people_a.org).event_types == ALL


def test_a_patients_sms_reply_is_an_event_too(client, people_a, sms_provider):
    """The inbound webhook acts as the clinic, with no user: its confirmation is
    announced like any other."""
    from clinic.messaging import delivery as sms_delivery
    from clinic.messaging.models import ConfirmationRequest
    from tests.support.sms import enable_sms, reply

    endpoint(people_a.org, event_types=["appointment.confirmed"])
    with tenant_context(org=people_a.org):
        enable_sms("+12025550199")
        appointment = book_in(people_a, hours=1)
        for request in ConfirmationRequest.objects.filter(appointment=appointment, status="pending"):
            sms_delivery.queue_confirmation(request.id)
    assert reply(client, to="+12025550199", from_=people_a.jane.phone, body="C").status_code == 200
    (event,) = events_of(people_a.org)
    payload = json.loads(event.payload)
    assert (payload["type"], payload["data"]["id"], payload["data"]["status"]) == (
        "appointment.confirmed",
        str(appointment.pk),
        "confirmed",
    )
