"""The held isolation checks that more than one test runs: each as its test in
tests/api and tests/messaging runs it on the primary, and tests/tenancy/test_read_replicas.py
runs it again with the reads served by a standby. A check takes what its test's
fixtures give it (API clients of clinics A and B, their people, staff's client)."""

from __future__ import annotations

import datetime as dt

from clinic.messaging.models import SmsMessage
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.sms import text

TEXTS_FROM = dt.datetime(2030, 1, 7, 8, tzinfo=dt.UTC)


def api_lists_never_show_another_clinics_rows(api_a, api_b, people_a, people_b, resource: str) -> None:
    """A's list of `resource` never shows a row of B's, whatever clinic the query or
    headers name."""
    with tenant_context(org=people_a.org):
        factories.appointment(patient=people_a.jane, provider=people_a.ada, appointment_type=people_a.checkup)
    tricks = [
        ({}, {}),
        ({"organization_id": str(people_b.org.id)}, {}),
        ({"organization": str(people_b.org.id), "org": people_b.org.slug}, {}),
        ({}, {"X-Organization": str(people_b.org.id), "X-Organization-Id": str(people_b.org.id)}),
    ]
    seen_b = {row["id"] for row in api_b.get(f"{resource}/").json()["results"]}
    assert seen_b
    for params, headers in tricks:
        response = api_a.get(f"{resource}/", params, **headers)
        assert response.status_code == 200
        rows = response.json()["results"]
        assert rows and not seen_b & {row["id"] for row in rows}
        assert "Other" not in response.content.decode()


def texts(people, count: int, **fields) -> list[SmsMessage]:
    """`count` texts of the clinic, a minute apart (the last is the newest)."""
    made = []
    with tenant_context(org=people.org):
        for index in range(count):
            message = factories.sms_message(patient=people.jane, **fields)
            at = TEXTS_FROM + dt.timedelta(minutes=len(made) + index)
            SmsMessage.objects.filter(pk=message.pk).update(created_at=at, status_changed_at=at)
            made.append(message)
    return made


def api_texts_never_listed_found_or_filtered_for(api_a, api_b, people_a, people_b, appointment_b) -> None:
    """B's texts are not in A's /sms-messages/, not found by id, and not filtered for
    by B's appointment, patient or clinic."""
    mine = texts(people_a, 2)
    (theirs,) = texts(people_b, 1, appointment=appointment_b)
    assert api_a.get(f"sms-messages/{theirs.pk}/").status_code == 404
    listed = {row["id"] for row in api_a.get("sms-messages/").json()["results"]}
    assert listed == {str(m.pk) for m in mine}
    for params in ({"appointment": str(appointment_b.pk)}, {"patient": str(people_b.jane.pk)}):
        response = api_a.get("sms-messages/", params)
        assert response.status_code == 200 and response.json()["results"] == []
    named = api_a.get("sms-messages/", {"organization_id": str(people_b.org.id)}).json()["results"]
    assert {row["id"] for row in named} == {str(m.pk) for m in mine}
    assert api_b.get(f"sms-messages/{theirs.pk}/").status_code == 200


def sms_log_bodies(client, **params) -> list[str]:
    """Filter the SMS log as the form does: POST the filters, follow the redirect to the results."""
    results = client.post("/sms/", params)
    assert results.status_code == 303
    response = client.get(results["Location"])
    assert response.status_code == 200
    return [message.body for message in response.context["page"].object_list]


def sms_log_never_lists_another_clinics_texts(as_staff, people_a, people_b) -> None:
    """A's SMS log, searched or not, never lists a text of B's."""
    text(people_a.org, body="ours")
    text(people_b.org, body="Secret of clinic B", patient=people_b.jane)
    response = as_staff.get("/sms/")
    assert sms_log_bodies(as_staff) == ["ours"]
    assert b"Secret of clinic B" not in response.content and b"OtherJane" not in response.content
    assert sms_log_bodies(as_staff, q="OtherJane") == []
