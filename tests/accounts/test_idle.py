"""Idle sign-out: enforced by the server from the session's last activity."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.accounts.middleware import ACTIVITY_RESOLUTION_SECONDS, LAST_ACTIVITY_KEY
from tenancy.session import SESSION_ORG_KEY
from tests.support.people import login
from tests.support.sessions import idle_for, read_setting


@pytest.fixture
def signed_in(client, org_a, staff_a, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    login(client, staff_a, org=org_a)
    assert client.get("/").status_code == 200
    return client


def test_a_request_records_activity_a_minute_after_the_last_record(signed_in):
    idle_for(signed_in, ACTIVITY_RESOLUTION_SECONDS + 1)
    before = time.time()
    signed_in.get("/")
    assert signed_in.session[LAST_ACTIVITY_KEY] >= before


def test_a_request_within_a_minute_of_the_last_record_writes_no_session(signed_in):
    idle_for(signed_in, ACTIVITY_RESOLUTION_SECONDS - 5)
    recorded = signed_in.session[LAST_ACTIVITY_KEY]
    with CaptureQueriesContext(connection) as queries:
        assert signed_in.get("/").status_code == 200
    assert signed_in.session[LAST_ACTIVITY_KEY] == recorded
    assert not [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]


def test_an_unrecorded_request_brings_the_sign_out_forward_by_under_a_minute(signed_in, monkeypatch):
    start = time.time()
    idle_for(signed_in, 0)
    moments = [start + 50, start + 50 + 29 * 60, start + 50 + 29 * 60 + 30 * 60 + 1]
    statuses = []
    for moment in moments:
        monkeypatch.setattr("clinic.accounts.middleware.clock", lambda moment=moment: moment)
        statuses.append(signed_in.get("/").status_code)
    # The second request comes 29 min 50 s after the record: in time. It is recorded,
    # so the third, 30 min 1 s after it, is too late.
    assert statuses == [200, 200, 302]


def test_a_short_timeout_records_activity_more_often(settings):
    from clinic.accounts.middleware import activity_resolution_seconds

    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    assert activity_resolution_seconds() == ACTIVITY_RESOLUTION_SECONDS
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 1
    assert activity_resolution_seconds() == 6


def test_a_user_active_within_the_timeout_stays_signed_in(signed_in):
    idle_for(signed_in, 29 * 60)
    assert signed_in.get("/").status_code == 200


def test_an_idle_user_is_signed_out_and_told_why(signed_in):
    idle_for(signed_in, 31 * 60)
    response = signed_in.get("/members/?page=2")
    assert response.status_code == 302
    # The page by its path: a query string may be a search, and `next` is logged.
    assert response["Location"] == "/accounts/login/?next=/members/"
    assert "_auth_user_id" not in signed_in.session
    assert SESSION_ORG_KEY not in signed_in.session

    page = signed_in.get(response["Location"])
    assert "You were signed out after 30 minutes without activity." in page.content.decode()
    # Said once, not on every later visit to the login page.
    assert "without activity" not in signed_in.get("/accounts/login/").content.decode()


def test_an_idle_post_is_not_carried_out(signed_in, org_a):
    idle_for(signed_in, 31 * 60)
    response = signed_in.post("/clinics/switch/", {"membership": "anything"})
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in signed_in.session


def test_the_timeout_follows_the_setting(signed_in, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 5
    idle_for(signed_in, 6 * 60)
    assert signed_in.get("/")["Location"].startswith("/accounts/login/")


def test_signing_in_again_after_the_timeout_works(signed_in, staff_a):
    idle_for(signed_in, 31 * 60)
    signed_in.get("/")
    login(signed_in, staff_a)
    assert signed_in.get("/").status_code == 200


def test_anonymous_requests_are_not_tracked(client, db):
    client.get("/accounts/login/")
    assert LAST_ACTIVITY_KEY not in client.session


def test_the_setting_defaults_to_thirty_minutes():
    result = read_setting({"SESSION_IDLE_TIMEOUT_MINUTES": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "30"


@pytest.mark.parametrize("raw", ["0", "soon"])
def test_the_setting_must_be_a_whole_number_of_at_least_one_minute(raw):
    result = read_setting({"SESSION_IDLE_TIMEOUT_MINUTES": raw})
    assert result.returncode != 0
    assert "ImproperlyConfigured: SESSION_IDLE_TIMEOUT_MINUTES must be" in result.stderr
