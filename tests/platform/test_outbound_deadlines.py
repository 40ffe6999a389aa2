"""Every outbound call ends at its total deadline: a webhook delivery, a CalDAV
request, a busy-calendar fetch and the SMS provider's client, against a server that
accepts the connection and never answers, and one that sends a complete, valid
answer a byte at a time (each byte far within any per-read timeout, so only a total
deadline stops it: without one, these calls would succeed after several seconds)."""

from __future__ import annotations

import pytest
import requests

from clinic.api.webhooks import http as webhook_http
from clinic.calendars import fetching
from clinic.calendars.caldav import client as caldav
from clinic.core.outbound import FetchLimits
from clinic.messaging.provider_http import DeadlineHttpClient
from tests.support.outbound_servers import DripServer, SilentServer, ok_response

# 30 bytes of headers and a 5-byte body at 0.2 s a byte: a whole answer after about 8 s.
DRIPPED = ok_response(b"BEGIN")


@pytest.fixture(params=["silent", "drip"])
def misbehaving(request):
    server = SilentServer() if request.param == "silent" else DripServer(DRIPPED)
    with server:
        yield server


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.CALENDAR_FETCH_ALLOW_LOOPBACK = True
    settings.CALDAV_ALLOW_HTTP = True


def test_a_webhook_delivery_ends_at_its_deadline(misbehaving, loopback_allowed):
    outcome = webhook_http.post(misbehaving.url + "/hook", b"{}", {}, connect_timeout=1, timeout=1)
    assert outcome == webhook_http.Outcome(None, "No answer within 1 s.")
    assert misbehaving.accepted == 1


def test_a_caldav_request_ends_at_its_deadline(misbehaving, loopback_allowed, settings):
    settings.CALDAV_TIMEOUT_SECONDS = 1
    account = caldav.Account(username="ada", password="secret")
    answer = caldav.put_event(misbehaving.url + "/cal/x.ics", b"BEGIN", etag=None, exists=False, account=account)
    assert answer.kind is caldav.Kind.FAILED
    assert answer.error == "The calendar server did not answer within 1 s."


def test_a_busy_calendar_fetch_ends_at_its_deadline(misbehaving, loopback_allowed):
    limits = FetchLimits(max_bytes=1024, connect_timeout=1, total_timeout=1, allow_loopback=True)
    with pytest.raises(fetching.FetchError, match="did not answer within 1 s"):
        fetching.fetch(misbehaving.url + "/cal.ics", limits=limits)


def test_the_sms_providers_client_ends_at_its_deadline(misbehaving):
    client = DeadlineHttpClient(connect_timeout=1, timeout=1)
    with pytest.raises(requests.Timeout, match="within 1 s"):
        client.request("POST", misbehaving.url + "/2010-04-01/Messages.json", data={"Body": "hi"})
