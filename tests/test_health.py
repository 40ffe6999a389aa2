from __future__ import annotations

import pytest

from clinic import health
from tenancy.checks import database_problems


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_when_the_runtime_role_is_confined(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(databases=["default", "owner"])
def test_readyz_refuses_when_the_role_could_bypass_rls(client, monkeypatch):
    # Serve the self-check as the owner role, as a misconfigured deploy would.
    monkeypatch.setattr(health, "database_problems", lambda alias="default": database_problems("owner"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "owns" in response.json()["reason"]


def test_readyz_answers_503_when_the_database_is_unreachable(client, db, settings, monkeypatch):
    from django.db import connections

    monkeypatch.setitem(connections["default"].settings_dict, "PORT", "1")
    monkeypatch.setitem(connections["default"].settings_dict, "HOST", "127.0.0.1")
    connections["default"].close()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
