from __future__ import annotations

import logging

import pytest

from clinic import health
from tenancy.checks import database_problems

TOKEN = "readyz-test-token-0123456789"


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_when_the_runtime_role_is_confined(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok"}


@pytest.fixture
def owner_role_served(monkeypatch):
    """Serve the self-check as the owner role, as a misconfigured deploy would."""
    monkeypatch.setattr(health, "database_problems", lambda alias="default": database_problems("owner"))


@pytest.fixture
def unreachable_database(db, monkeypatch):
    from django.db import connections

    monkeypatch.setitem(connections["default"].settings_dict, "PORT", "1")
    monkeypatch.setitem(connections["default"].settings_dict, "HOST", "127.0.0.1")
    connections["default"].close()


def assert_generic(response) -> None:
    """The public answer names nothing: no role, table, host or error text."""
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    body = response.content.decode().lower()
    for word in ("clinic_", "owner", "table", "role", "127.0.0.1", "connection", "refused", "port"):
        assert word not in body


@pytest.mark.django_db(databases=["default", "owner"])
def test_readyz_refuses_when_the_role_could_bypass_rls_and_says_no_more(client, owner_role_served, caplog):
    with caplog.at_level(logging.ERROR, logger="clinic.health"):
        response = client.get("/readyz")
    assert_generic(response)
    # The reason is in the application log, for the operator.
    assert "owns" in caplog.text


def test_readyz_answers_503_and_no_error_text_when_the_database_is_unreachable(client, unreachable_database, caplog):
    with caplog.at_level(logging.ERROR, logger="clinic.health"):
        response = client.get("/readyz")
    assert_generic(response)
    assert "database" in caplog.text


@pytest.mark.django_db(databases=["default", "owner"])
def test_readyz_shows_the_reason_to_a_caller_with_the_token(client, owner_role_served, settings):
    settings.READYZ_TOKEN = TOKEN
    response = client.get("/readyz", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 503
    assert "owns" in response.json()["reason"]


@pytest.mark.django_db(databases=["default", "owner"])
@pytest.mark.parametrize("header", ["", "Bearer", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_readyz_keeps_the_reason_from_a_wrong_or_missing_token(client, owner_role_served, settings, header):
    settings.READYZ_TOKEN = TOKEN
    response = client.get("/readyz", headers={"Authorization": header} if header else {})
    assert_generic(response)


@pytest.mark.django_db(databases=["default", "owner"])
def test_without_a_configured_token_no_header_reveals_the_reason(client, owner_role_served, settings):
    settings.READYZ_TOKEN = ""
    assert_generic(client.get("/readyz", headers={"Authorization": "Bearer "}))
