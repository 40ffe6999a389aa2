"""/api/v1/sms-messages/: the clinic's texts, read only, newest first, filtered by
appointment, patient, direction and status; another clinic's texts are never listed,
found or filtered for."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.messaging.models import SmsMessage
from tenancy.context import tenant_context
from tests.support import factories, isolation
from tests.support.api import walk
from tests.support.isolation import texts

FIELDS = {
    "id",
    "direction",
    "kind",
    "from_number",
    "to_number",
    "body",
    "patient",
    "appointment",
    "status",
    "provider_message_id",
    "error_code",
    "error_message",
    "created_at",
    "status_changed_at",
}


@pytest.fixture
def appointment_a(people_a):
    with tenant_context(org=people_a.org):
        return factories.appointment(patient=people_a.jane, provider=people_a.ada, appointment_type=people_a.checkup)


@pytest.fixture
def appointment_b(people_b):
    with tenant_context(org=people_b.org):
        return factories.appointment(patient=people_b.jane, provider=people_b.ada, appointment_type=people_b.checkup)


def test_a_text_is_rendered_with_every_field_in_the_clinics_time_zone(api_a, people_a, appointment_a):
    (message,) = texts(people_a, 1, appointment=appointment_a, status="delivered", provider_message_id="SM1")
    response = api_a.get(f"sms-messages/{message.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == FIELDS
    assert body["patient"] == str(people_a.jane.pk) and body["appointment"] == str(appointment_a.pk)
    assert (body["direction"], body["kind"], body["status"]) == ("out", "manual", "delivered")
    assert body["created_at"] == "2030-01-07T09:00:00+01:00"  # Clinic A is in Europe/Berlin


def test_the_list_is_newest_first_and_every_page_follows_on(api_a, people_a):
    made = texts(people_a, 7)
    pages = walk(api_a, "/api/v1/sms-messages/?limit=3")
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [pk for page in pages for pk in page] == [str(message.pk) for message in reversed(made)]


def test_the_filters(api_a, people_a, appointment_a):
    about = texts(people_a, 2, appointment=appointment_a)
    failed = texts(people_a, 1, status="failed")
    inbound = texts(people_a, 1, direction="in", kind="inbound", status="received")

    def ids(params) -> set[str]:
        response = api_a.get("sms-messages/", params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids({"appointment": str(appointment_a.pk)}) == {str(m.pk) for m in about}
    assert ids({"direction": "in"}) == {str(inbound[0].pk)}
    assert ids({"status": ["failed", "received"]}) == {str(failed[0].pk), str(inbound[0].pk)}
    assert ids({"patient": str(people_a.jane.pk), "direction": "out", "status": "queued"}) == {str(m.pk) for m in about}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"appointment": "not-a-uuid"}, "appointment"),
        ({"direction": "sideways"}, "direction"),
        ({"status": "x"}, "status"),
    ],
)
def test_a_bad_filter_is_named(api_a, params, field):
    response = api_a.get("sms-messages/", params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_texts_are_read_only(api_a, api_a_read_only, people_a):
    (message,) = texts(people_a, 1)
    assert api_a_read_only.get("sms-messages/").status_code == 200
    assert api_a.post("sms-messages/", {"body": "hi"}).status_code == 405
    assert api_a.patch(f"sms-messages/{message.pk}/", {"body": "changed"}).status_code == 405
    assert api_a.request("DELETE", f"sms-messages/{message.pk}/").status_code == 405
    with tenant_context(org=people_a.org):
        assert SmsMessage.objects.get().body == "Hello"


def test_a_page_runs_the_same_queries_whatever_its_size(api_a, people_a, appointment_a):
    texts(people_a, 30, appointment=appointment_a)
    api_a.get("me/")  # the key's first use of the minute writes last_used_at; not part of a list
    counts = []
    for limit in (2, 25):
        with CaptureQueriesContext(connection) as queries:
            response = api_a.get("sms-messages/", {"limit": limit, "appointment": str(appointment_a.pk)})
        assert len(response.json()["results"]) == limit
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_another_clinics_texts_are_never_listed_found_or_filtered_for(api_a, api_b, people_a, people_b, appointment_b):
    isolation.api_texts_never_listed_found_or_filtered_for(api_a, api_b, people_a, people_b, appointment_b)
