"""While PostgreSQL cannot be reached, pages and the API answer 503 with Retry-After
(not 500), and the next request after it is back is served again. The outage is
real: the runtime role's connection points at a port nobody listens on."""

from __future__ import annotations

import socket
from contextlib import contextmanager

import pytest
from django.db import connections
from django.test import Client

from clinic.api.keys import generate_key


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def database_unreachable():
    connection = connections["default"]
    connection.close()
    saved = {name: connection.settings_dict[name] for name in ("HOST", "PORT")}
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@pytest.fixture
def outage(django_db_setup, django_db_blocker):
    """Database access allowed (outside any test transaction), then cut."""
    with django_db_blocker.unblock(), database_unreachable():
        yield


def _client() -> Client:
    return Client(raise_request_exception=False)


def _api_get(client: Client, path: str = "/api/v1/patients/"):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {generate_key().key}")


def test_a_staff_page_answers_503_with_retry_after(outage):
    client = _client()
    client.cookies["sessionid"] = "a" * 32  # a session to look up: the database is needed
    response = client.get("/patients/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Back in a moment" in response.content.decode()


def test_the_api_answers_503_in_its_error_shape(outage):
    response = _api_get(_client())
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "service_unavailable"


def test_a_booking_sent_during_the_outage_answers_503(outage):
    response = _client().post(
        "/api/v1/appointments/",
        data={"patient": "00000000-0000-0000-0000-000000000000"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {generate_key().key}",
    )
    assert response.status_code == 503


def test_the_app_serves_again_once_the_database_is_back(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with database_unreachable():
            assert _api_get(_client()).status_code == 503
        # Back: the unknown key is looked up and refused as usual.
        assert _api_get(_client()).status_code == 401


def test_the_outage_does_not_sign_anyone_out(outage):
    client = _client()
    client.cookies["sessionid"] = "a" * 32
    response = client.get("/patients/")
    assert response.status_code == 503
    assert "sessionid" not in response.cookies, response.cookies


def test_the_outage_is_logged_as_one_line_per_request(outage, caplog):
    client = _client()
    client.cookies["sessionid"] = "a" * 32
    with caplog.at_level("WARNING"):
        assert client.get("/patients/").status_code == 503
    assert [record.getMessage() for record in caplog.records] == ["Service Unavailable: /patients/"]
    assert caplog.records[0].exc_info is None


def test_a_job_deferred_after_commit_on_a_broken_connection_counts_as_unavailable():
    """procrastinate wraps the driver's error in its own when deferring a job once the
    transaction has committed (tenancy.jobs.defer_on_commit): a primary lost at that
    moment must answer 503 like any other lost connection, not 500."""
    import psycopg
    from procrastinate.exceptions import ConnectorException

    from clinic.unavailable import database_down

    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(host="127.0.0.1", port=_closed_port(), dbname="clinic", connect_timeout=2)
    try:
        raise ConnectorException() from refused.value
    except ConnectorException as wrapped:
        assert database_down(wrapped)
    try:
        raise ConnectorException() from ValueError("not the database")
    except ConnectorException as other:
        assert not database_down(other)
