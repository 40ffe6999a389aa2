"""The provider backends behind one interface. The Twilio backend is exercised
through the real `twilio` SDK; only its HTTP transport is replaced, so no request
leaves the machine."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
from email.utils import format_datetime

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from clinic.messaging.backends import ConsoleBackend, OutgoingSms, SmsSendError, TwilioBackend, get_backend

SMS = OutgoingSms(to="+14155550100", from_="+12025550199", body="Hi", status_callback="https://x.example/s/")


class CannedTransport(HttpClient):
    def __init__(self, *answers) -> None:
        super().__init__(logging.getLogger(__name__), is_async=False)
        self.answers = list(answers)
        self.requests: list[dict] = []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, **kwargs):
        self.requests.append({"method": method, "uri": uri, "data": data})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return Response(status, json.dumps(body))


def twilio_with(*answers) -> tuple[TwilioBackend, CannedTransport]:
    transport = CannedTransport(*answers)
    return TwilioBackend(Client("AC" + "1" * 32, "token", http_client=transport)), transport


def test_a_sent_text_returns_the_provider_id():
    backend, transport = twilio_with((201, {"sid": "SM123", "status": "queued"}))
    assert backend.send(SMS) == "SM123"
    (request,) = transport.requests
    assert request["method"] == "POST" and request["uri"].endswith("/Messages.json")
    assert request["data"]["To"] == "+14155550100" and request["data"]["StatusCallback"] == "https://x.example/s/"


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [(400, 21211, False), (400, 21610, False), (429, 20429, True), (500, 20500, True), (503, None, True)],
)
def test_provider_errors_say_whether_a_retry_may_work(status, code, retryable):
    backend, _ = twilio_with((status, {"code": code, "message": "nope", "status": status}))
    with pytest.raises(SmsSendError) as failed:
        backend.send(SMS)
    assert failed.value.retryable is retryable
    assert failed.value.code == str(code or status)


def test_a_network_error_is_retryable():
    backend, _ = twilio_with(ConnectionError("connection refused"))
    with pytest.raises(SmsSendError) as failed:
        backend.send(SMS)
    assert failed.value.retryable is True and failed.value.code == "network"


def test_the_console_backend_prints_and_accepts(capsys):
    message_id = ConsoleBackend().send(SMS)
    assert message_id.startswith("CONSOLE")
    assert "[SMS +12025550199 -> +14155550100] Hi" in capsys.readouterr().out


def test_the_backend_comes_from_settings(settings):
    settings.SMS_BACKEND = "console"
    assert isinstance(get_backend(), ConsoleBackend)


def settings_refused(**env: str) -> str:
    """What loading the settings with `env` prints when it refuses (it must)."""
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    return result.stderr


def test_twilio_needs_its_credentials():
    refused = settings_refused(SMS_BACKEND="twilio", TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="")
    assert "SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in refused


def listed(*messages) -> tuple[int, dict]:
    """A page of Twilio's message list."""
    page = [{"sid": sid, "body": body, "date_created": format_datetime(created)} for sid, body, created in messages]
    return 200, {"messages": page, "next_page_uri": None, "page": 0, "page_size": 50}


def test_twilio_finds_a_text_it_took_by_number_body_and_time():
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    sms = OutgoingSms(to="+14155550100", from_="+12025550199", body="Hi Jane \u2013 reply \u201cYES\u201d")
    backend, transport = twilio_with(
        listed(
            ("SMnew", 'Hi Jane - reply "YES"', now),  # as smart encoding rewrote it
            ("SMother", "Something else", now),
            ("SMold", 'Hi Jane - reply "YES"', now - dt.timedelta(hours=3)),
        )
    )
    assert backend.find_sent(sms, since=now - dt.timedelta(minutes=10)) == ["SMnew"]
    (request,) = transport.requests
    assert request["method"] == "GET" and request["uri"].endswith("/Messages.json")


def test_twilio_says_so_when_its_list_cannot_be_read():
    backend, _ = twilio_with((503, {"code": None, "message": "down", "status": 503}))
    with pytest.raises(SmsSendError) as failed:
        backend.find_sent(SMS, since=dt.datetime.now(dt.UTC))
    assert failed.value.retryable is True


def test_the_console_record_is_what_find_sent_reads(settings, tmp_path):
    settings.SMS_CONSOLE_RECORD = str(tmp_path / "record.jsonl")
    before = dt.datetime.now(dt.UTC)
    backend = ConsoleBackend()
    first = backend.send(SMS)
    backend.send(OutgoingSms(to=SMS.to, from_=SMS.from_, body="Another text"))
    assert backend.find_sent(SMS, since=before) == [first]
    assert backend.find_sent(SMS, since=dt.datetime.now(dt.UTC)) == []


def test_without_a_record_the_console_cannot_say(settings):
    settings.SMS_CONSOLE_RECORD = ""
    assert ConsoleBackend().find_sent(SMS, since=dt.datetime.now(dt.UTC)) is None


def test_a_lost_send_window_shorter_than_a_provider_call_is_refused():
    refused = settings_refused(SMS_PROVIDER_TIMEOUT_SECONDS="30", SMS_LOST_SEND_AFTER_SECONDS="45")
    assert "SMS_LOST_SEND_AFTER_SECONDS must be over twice SMS_PROVIDER_TIMEOUT_SECONDS" in refused
