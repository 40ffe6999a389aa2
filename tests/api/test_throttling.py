"""Requests per API key are limited (settings.API_THROTTLE_RATE): 429 with Retry-After."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings

from tests.support.api import ApiClient, make_key


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@override_settings(API_THROTTLE_RATE="3/minute")
def test_a_key_over_its_rate_gets_429_with_retry_after(api_a, org_a):
    assert [api_a.get("me/").status_code for _ in range(3)] == [200, 200, 200]
    response = api_a.get("patients/")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another key of the same clinic has its own budget.
    assert ApiClient(make_key(org_a, name="Other")).get("me/").status_code == 200


@override_settings(API_THROTTLE_RATE="")
def test_an_empty_rate_turns_throttling_off(api_a):
    assert {api_a.get("me/").status_code for _ in range(20)} == {200}


def test_the_rate_must_be_well_formed(monkeypatch):
    from tests.support.database import run_manage

    result = run_manage("check", env={"API_THROTTLE_RATE": "lots", "DATABASE_NAME": "unused"})
    assert result.returncode != 0
    assert "API_THROTTLE_RATE must look like 600/minute" in result.stderr
