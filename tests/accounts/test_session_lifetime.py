"""Sessions end when the browser closes, and SESSION_ABSOLUTE_LIFETIME_HOURS after
signing in however active the user is (the idle timeout is tests/accounts/test_idle.py)."""

from __future__ import annotations

import time

import pytest

from clinic.accounts import middleware
from clinic.accounts.middleware import SIGNED_IN_AT_KEY
from tests.support.people import PASSWORD, login
from tests.support.sessions import read_setting


class Clock:
    """The middleware's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, *, hours: float = 0, minutes: float = 0) -> None:
        self.now += hours * 3600 + minutes * 60


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(middleware, "clock", fake)
    return fake


@pytest.fixture
def signed_in(client, org_a, staff_a, settings, clock):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    settings.SESSION_ABSOLUTE_LIFETIME_HOURS = 12
    login(client, staff_a, org=org_a)
    assert client.get("/").status_code == 200
    return client


def test_signing_in_records_when(signed_in, clock):
    assert signed_in.session[SIGNED_IN_AT_KEY] == clock.now


def test_an_active_user_is_signed_out_twelve_hours_after_signing_in(signed_in, clock):
    # A request every 20 minutes: never idle, for 11 hours 40 minutes.
    for _ in range(35):
        clock.advance(minutes=20)
        assert signed_in.get("/").status_code == 200
    clock.advance(minutes=21)  # 12 hours and a minute after signing in
    response = signed_in.get("/patients/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/patients/"
    assert "_auth_user_id" not in signed_in.session

    page = signed_in.get(response["Location"]).content.decode()
    assert "You were signed out 12 hours after signing in." in page


def test_the_lifetime_follows_the_setting(signed_in, clock, settings):
    settings.SESSION_ABSOLUTE_LIFETIME_HOURS = 1
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 24 * 60
    clock.advance(minutes=59)
    assert signed_in.get("/").status_code == 200
    clock.advance(minutes=2)
    assert signed_in.get("/")["Location"].startswith("/accounts/login/")


def test_signing_in_again_starts_a_new_lifetime(signed_in, clock, staff_a, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 24 * 60
    clock.advance(hours=13)
    signed_in.get("/")
    login(signed_in, staff_a)
    assert signed_in.get("/").status_code == 200
    clock.advance(hours=11)
    assert signed_in.get("/").status_code == 200


def test_a_session_from_before_the_rule_is_signed_out(signed_in):
    session = signed_in.session
    del session[SIGNED_IN_AT_KEY]
    session.save()
    assert signed_in.get("/")["Location"].startswith("/accounts/login/")


def test_the_session_cookie_ends_with_the_browser(client, staff_a, settings):
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    response = client.post("/accounts/login/", {"username": staff_a.username, "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value
    assert cookie["expires"] == "" and cookie["max-age"] == ""


def test_the_settings_default_to_browser_close_and_twelve_hours():
    code = (
        "from clinic import settings as s; "
        "print(s.SESSION_EXPIRE_AT_BROWSER_CLOSE, s.SESSION_ABSOLUTE_LIFETIME_HOURS, s.SESSION_COOKIE_AGE)"
    )
    result = read_setting({"SESSION_EXPIRE_AT_BROWSER_CLOSE": "", "SESSION_ABSOLUTE_LIFETIME_HOURS": ""}, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "12", "43200"]


@pytest.mark.parametrize("raw", ["0", "forever"])
def test_the_lifetime_must_be_a_whole_number_of_at_least_one_hour(raw):
    result = read_setting({"SESSION_ABSOLUTE_LIFETIME_HOURS": raw})
    assert result.returncode != 0
    assert "ImproperlyConfigured: SESSION_ABSOLUTE_LIFETIME_HOURS must be" in result.stderr
