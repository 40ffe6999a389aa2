"""A primary and its standbys in DATABASE_URL (libpq's multi-host form): the URL is read
into libpq's host and port lists and parameters, the web process's copy keeps no
credentials, a connection skips a server that is down for the next one, and a write
that reaches a server refusing writes (a standby, after a failover) answers 503 and
drops the connection, so the next request reconnects to the primary."""

from __future__ import annotations

import socket
from contextlib import contextmanager

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.test import Client

from clinic.api.keys import generate_key
from scripts.serve import runtime_environment
from tenancy.database import Role, django_databases, server_from_url

TWO_NODES = "postgresql://admin:s3cret@10.0.0.1:5451,10.0.0.2:5452/clinic?target_session_attrs=read-write"


def test_a_url_with_two_hosts_gives_libpq_both_and_its_parameters():
    server = server_from_url(TWO_NODES)
    assert (server.host, server.port, server.name) == ("10.0.0.1,10.0.0.2", "5451,5452", "clinic")
    assert (server.admin_user, server.admin_password) == ("admin", "s3cret")
    assert server.options == (("target_session_attrs", "read-write"),)
    assert server.connect_kwargs()["target_session_attrs"] == "read-write"
    database = django_databases(server, {"default": Role("clinic_app", "")}, conn_max_age=0)["default"]
    assert (database["HOST"], database["PORT"]) == ("10.0.0.1,10.0.0.2", "5451,5452")
    assert database["OPTIONS"] == {"target_session_attrs": "read-write"}


def test_one_host_and_a_socket_directory_read_as_before():
    server = server_from_url("postgresql://postgres@127.0.0.1:5432/clinic")
    assert (server.host, server.port, server.options) == ("127.0.0.1", "5432", ())
    server = server_from_url("postgresql://postgres@/clinic?host=/run/postgresql")
    assert (server.host, server.port, server.options) == ("/run/postgresql", "", ())
    server = server_from_url("postgresql://[::1]:6000,[fd00::2]:6001/clinic", with_admin_credentials=False)
    assert (server.host, server.port, server.admin_user) == ("::1,fd00::2", "6000,6001", "")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://10.0.0.1:5451,10.0.0.2/clinic", "give each its port"),
        ("postgresql://10.0.0.1:port/clinic", "not a number"),
    ],
)
def test_a_host_list_that_libpq_would_misread_is_refused_with_its_reason(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        server_from_url(url)


def test_the_web_process_gets_every_host_but_no_credentials():
    env = runtime_environment({"DATABASE_URL": TWO_NODES, "DB_OWNER_PASSWORD": "x"})
    assert env == {"DATABASE_URL": "postgresql://10.0.0.1:5451,10.0.0.2:5452/clinic?target_session_attrs=read-write"}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def default_connection(**changes):
    """The runtime role's connection with other settings, outside any test transaction."""
    connection = connections["default"]
    connection.ensure_connection()
    live = {"HOST": connection.connection.info.host, "PORT": str(connection.connection.info.port)}
    connection.close()
    saved = {name: connection.settings_dict[name] for name in ("HOST", "PORT", "OPTIONS")}
    connection.settings_dict.update({name: change(live) for name, change in changes.items()})
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def _api_get() -> int:
    client = Client(raise_request_exception=False)
    return client.get("/api/v1/patients/", HTTP_AUTHORIZATION=f"Bearer {generate_key().key}").status_code


def test_a_server_that_is_down_is_skipped_for_the_next_writable_one(django_db_setup, django_db_blocker):
    """The first host refuses connections (a failed primary): libpq goes on to the
    next, which accepts writes, and the request is served (an unknown key: 401)."""
    with django_db_blocker.unblock():
        with default_connection(
            HOST=lambda live: f"127.0.0.1,{live['HOST']}",
            PORT=lambda live: f"{_closed_port()},{live['PORT']}",
            OPTIONS=lambda live: {"target_session_attrs": "read-write"},
        ) as connection:
            assert _api_get() == 401
            assert connection.connection is None or connection.connection.info.port == int(
                connection.settings_dict["PORT"].split(",")[1]
            )


def test_with_no_writable_server_a_request_answers_503(django_db_setup, django_db_blocker):
    """Only a server that refuses writes is up (the standby, not promoted yet):
    libpq finds no read-write one, and the client is asked to retry."""
    with django_db_blocker.unblock():
        with default_connection(
            OPTIONS=lambda live: {
                "target_session_attrs": "read-write",
                "options": "-c default_transaction_read_only=on",
            }
        ):
            # default_transaction_read_only makes the server report itself read-only.
            assert _api_get() == 503


def test_a_write_that_reaches_a_standby_answers_503_and_the_next_request_reconnects(django_db_setup, django_db_blocker):
    """A kept connection to the old primary, now a standby: the sign-in form's failed
    attempt (a row django-axes writes) is refused by the server, answered 503, and the
    connection dropped, so the next request connects afresh."""
    with django_db_blocker.unblock():
        with default_connection(OPTIONS=lambda live: {"options": "-c default_transaction_read_only=on"}) as connection:
            client = Client(raise_request_exception=False)
            response = client.post("/accounts/login/", {"username": "nobody-here", "password": "wrong-password-1"})
            assert response.status_code == 503
            assert response["Retry-After"] == "5"
            assert connection.connection is None
