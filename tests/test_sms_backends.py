"""The provider backends behind one interface. The Twilio backend is exercised
through the real `twilio` SDK; only its HTTP transport is replaced, so no request
leaves the machine."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

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


def test_twilio_needs_its_credentials(monkeypatch):

    env = {
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": "",
        "TWILIO_AUTH_TOKEN": "",
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
    }

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in result.stderr
