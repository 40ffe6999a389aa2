"""Lists: cursor pages on a stable order, a `next` link, and a constant number of
queries whatever the page size."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenancy.context import tenant_context
from tests.support import factories
from tests.support.api import walk

START = dt.datetime(2030, 1, 7, 8, tzinfo=dt.UTC)


@pytest.fixture
def many_appointments(people_a) -> list[str]:
    """30 appointments, several starting at the same time (for different providers)."""
    ids = []
    with tenant_context(org=people_a.org):
        providers = [factories.provider() for _ in range(3)]
        for slot in range(10):
            for provider in providers:
                starts = START + dt.timedelta(minutes=30 * slot)
                appointment = factories.appointment(
                    patient=factories.patient(),
                    provider=provider,
                    appointment_type=people_a.checkup,
                    starts_at=starts,
                    ends_at=starts + dt.timedelta(minutes=30),
                )
                ids.append((starts, str(appointment.pk)))
    return [pk for _, pk in sorted(ids)]


def test_following_next_visits_every_row_once_in_order(api_a, many_appointments):
    pages = walk(api_a, "/api/v1/appointments/?limit=7")
    assert [len(page) for page in pages] == [7, 7, 7, 7, 2]
    assert [pk for page in pages for pk in page] == many_appointments


def test_the_next_link_keeps_the_filters(api_a, many_appointments, people_a):
    response = api_a.get("appointments/", {"limit": 2, "from": "2030-01-07T09:00:00Z"})
    assert "from=2030-01-07T09" in response.json()["next"]
    assert "limit=2" in response.json()["next"]


def test_a_row_added_before_the_cursor_does_not_shift_the_next_page(api_a, many_appointments, people_a):
    first = api_a.get("appointments/", {"limit": 5}).json()
    with tenant_context(org=people_a.org):
        factories.appointment(starts_at=START - dt.timedelta(hours=3), ends_at=START - dt.timedelta(hours=2))
    second = api_a.get(urlsplit(first["next"]).path + "?" + urlsplit(first["next"]).query).json()
    assert [row["id"] for row in second["results"]] == many_appointments[5:10]


def test_the_last_page_has_no_next(api_a, people_a):
    assert api_a.get("patients/", {"limit": 5}).json()["next"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"limit": "ten"}, "limit"), ({"cursor": "bogus"}, "cursor")],
)
def test_a_bad_limit_or_cursor_is_named(api_a, params, field):
    response = api_a.get("appointments/", params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_a_cursor_of_another_list_is_refused(api_a, people_a, many_appointments):
    cursor = api_a.get("appointments/", {"limit": 1}).json()["next"].split("cursor=")[1].split("&")[0]
    assert api_a.get("patients/", {"cursor": cursor}).status_code == 400


@pytest.mark.parametrize("resource", ["appointments", "patients", "providers", "appointment-types"])
def test_a_list_runs_the_same_queries_whatever_the_page_size(api_a, many_appointments, people_a, resource):
    with tenant_context(org=people_a.org):
        for _ in range(4):
            factories.appointment_type()
    api_a.get("me/")  # the key's first use of the minute writes last_used_at; not part of a list
    counts = []
    for limit in (2, 25):
        with CaptureQueriesContext(connection) as queries:
            response = api_a.get(f"{resource}/", {"limit": limit})
        assert response.status_code == 200
        rows = len(response.json()["results"])
        assert (rows > 2) if limit == 25 else (rows == 2)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
