"""SSRF: a busy calendar's URL is typed by a clinic and fetched by the worker from inside
the platform's network. Only http(s), only public addresses (loopback only with
CALENDAR_FETCH_ALLOW_LOOPBACK, on in tests), each redirect checked again, a size and a
time limit; the error stored for the clinic never contains the secret URL."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError

from clinic.calendars import fetching
from clinic.calendars.models import BusyCalendar
from clinic.calendars.services import busy_calendar_add, busy_calendar_refresh
from clinic.core.outbound import FetchLimits
from tenancy.context import tenant_context
from tests.support.busy import add_and_refresh, calendar

pytestmark = pytest.mark.django_db

EMPTY = calendar()


@pytest.fixture
def no_network(monkeypatch):
    """Any connection attempt fails the test: refused URLs must never be connected to."""
    attempts = []

    def refuse(address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"connected to {address}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/calendar.ics",
        "http://192.168.1.10/calendar.ics",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:10.0.0.1]/calendar.ics",
        "http://0.0.0.0/calendar.ics",
        "http://224.0.0.1/calendar.ics",
    ],
)
def test_it_refuses_private_link_local_and_reserved_addresses(url, no_network):
    with pytest.raises(fetching.FetchError, match="private, loopback or reserved"):
        fetching.fetch(url)
    assert no_network == []


def test_it_refuses_a_name_resolving_to_a_private_address(monkeypatch, no_network):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(fetching.FetchError, match=r"calendar\.example\.org is a private"):
        fetching.fetch("https://calendar.example.org/private/secret-token/basic.ics")
    assert no_network == []


def test_it_refuses_loopback_unless_allowed(settings, ics_server):
    url = ics_server.serve("/cal.ics", EMPTY)
    assert fetching.fetch(url) == EMPTY.encode()
    settings.CALENDAR_FETCH_ALLOW_LOOPBACK = False
    with pytest.raises(fetching.FetchError, match="private, loopback or reserved"):
        fetching.fetch(url)
    assert ics_server.paths == ["/cal.ics"]  # the second was never sent


def test_it_connects_to_the_address_it_checked(monkeypatch):
    """No second DNS lookup between the check and the connection (DNS rebinding)."""
    answers = iter(["93.184.215.14", "10.0.0.1"])

    def rebinding(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    connected = []

    def fake_connection(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(socket, "create_connection", fake_connection)
    with pytest.raises(fetching.FetchError, match="Could not fetch from calendar.example.org"):
        fetching.fetch("http://calendar.example.org/basic.ics")
    assert connected == [("93.184.215.14", 80)]


@pytest.mark.parametrize(
    "location", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/x.ics", "file:///etc/passwd"]
)
def test_a_redirect_to_a_forbidden_address_is_refused(ics_server, location):
    url = ics_server.redirect("/moved.ics", location)
    with pytest.raises(fetching.FetchError) as refused:
        fetching.fetch(url)
    assert "private" in str(refused.value) or "Only http:// and https://" in str(refused.value)


def test_redirects_are_followed_three_times_at_most(ics_server):
    final = ics_server.serve("/final.ics", EMPTY)
    ics_server.redirect("/3", final)
    ics_server.redirect("/2", ics_server.url("/3"))
    ics_server.redirect("/1", "/2")  # a relative Location
    assert fetching.fetch(ics_server.url("/1")) == EMPTY.encode()
    ics_server.redirect("/0", ics_server.url("/1"))
    with pytest.raises(fetching.FetchError, match="Too many redirects"):
        fetching.fetch(ics_server.url("/0"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "Only http:// and https://"),
        ("ftp://calendar.example.org/cal.ics", "Only http:// and https://"),
        ("gopher://127.0.0.1:6379/_FLUSHALL", "Only http:// and https://"),
        ("https://user:secret@calendar.example.org/cal.ics", "user name or password"),
        ("http://calendar.example.org:99999/cal.ics", "not a valid web address"),
    ],
)
def test_other_schemes_are_refused_when_added(org_a, people_a, url, message):
    with tenant_context(org=org_a), pytest.raises(ValidationError) as refused:
        busy_calendar_add(provider=people_a.ada, name="Private", url=url)
    assert message in refused.value.message_dict["url"][0]


def test_an_oversize_body_is_refused(settings, ics_server):
    settings.CALENDAR_FETCH_MAX_BYTES = 4096
    url = ics_server.serve("/big.ics", b"X" * 5000)
    with pytest.raises(fetching.FetchError, match="larger than 4 KB"):
        fetching.fetch(url)


def test_an_oversize_body_without_a_length_is_cut_off(ics_server):
    limits = FetchLimits(max_bytes=1024, connect_timeout=2, total_timeout=5, allow_loopback=True)
    url = ics_server.serve("/big.ics", b"X" * 4000)
    ics_server.pages["/big.ics"].send_length = False
    with pytest.raises(fetching.FetchError, match="larger than 1 KB"):
        fetching.fetch(url, limits=limits)


def test_a_server_that_does_not_answer_in_time_is_given_up(settings):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    limits = FetchLimits(max_bytes=1024, connect_timeout=1, total_timeout=0.5, allow_loopback=True)
    try:
        with pytest.raises(fetching.FetchError, match="did not answer within 0.5 s"):
            fetching.fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/slow.ics", limits=limits)
    finally:
        listener.close()


def test_the_stored_error_is_clear_and_keeps_the_secret_out(settings, org_a, people_a, ics_server):
    url = ics_server.url("/private/s3cr3t-t0ken/basic.ics")  # not served: 404
    calendar_ = add_and_refresh(org_a, people_a.ada, url)
    assert calendar_.status == BusyCalendar.Status.ERROR
    assert calendar_.last_error == "127.0.0.1 answered HTTP 404."
    settings.CALENDAR_FETCH_ALLOW_LOOPBACK = False
    with tenant_context(org=org_a):
        calendar_ = busy_calendar_refresh(busy_calendar=calendar_)
    assert "private, loopback or reserved" in calendar_.last_error
    assert "s3cr3t" not in calendar_.last_error


def test_a_failed_fetch_keeps_the_busy_times_it_had(org_a, people_a, ics_server):
    from tests.support.busy import timed
    from tests.support.calendars import soon

    starts = soon(org_a, days=3, hour=10).replace(tzinfo=None)
    url = ics_server.serve("/cal.ics", calendar(timed("a", starts, starts.replace(hour=11))))
    calendar_ = add_and_refresh(org_a, people_a.ada, url)
    with tenant_context(org=org_a):
        assert calendar_.intervals.count() == 1
    ics_server.pages["/cal.ics"].status = 500
    with tenant_context(org=org_a):
        calendar_ = busy_calendar_refresh(busy_calendar=calendar_)
        assert calendar_.status == BusyCalendar.Status.ERROR
        assert calendar_.last_error == "127.0.0.1 answered HTTP 500."
        assert calendar_.intervals.count() == 1
