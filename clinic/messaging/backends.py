"""SMS providers behind one small interface.

`get_backend()` returns the configured backend (settings.SMS_BACKEND). A backend's
`send()` returns the provider's message id, or raises SmsSendError saying whether
trying again later may work (a timeout, the provider's 5xx or 429) or never will (an
invalid or unsubscribed number).

`find_sent()` asks the provider's own record which texts like this one it accepted
since a moment: what settles a send whose outcome we never heard (a worker killed
during the call, a timeout after the request went out) without sending it twice."""

from __future__ import annotations

import datetime as dt
import json
import logging
import unicodedata
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsSendError(Exception):
    def __init__(self, message: str, *, retryable: bool, code: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


@dataclass(frozen=True)
class OutgoingSms:
    to: str
    from_: str
    body: str
    status_callback: str | None = None


class SmsBackend:
    name = "base"

    def send(self, sms: OutgoingSms) -> str:
        raise NotImplementedError

    def find_sent(self, sms: OutgoingSms, since: dt.datetime) -> list[str] | None:
        """The provider's ids of the texts it accepted since `since` from this sender to
        this number with this body; None when this provider keeps no record to ask."""
        return None


def same_text(one: str, other: str) -> bool:
    """Bodies equal up to what a provider may rewrite on the way (Twilio's smart
    encoding turns curly quotes, dashes and odd spaces into plain ones, accented
    letters outside GSM into plain ones): only letters and digits are compared."""
    return _letters_and_digits(one) == _letters_and_digits(other)


def _letters_and_digits(body: str) -> str:
    plain = unicodedata.normalize("NFKD", body)
    return "".join(char for char in plain if char.isalnum() and not unicodedata.combining(char))


class ConsoleBackend(SmsBackend):
    """Prints each text and accepts it. For demos and tests; `manage.py
    sms_simulate_reply` answers as the patient would. With SMS_CONSOLE_RECORD set it
    also appends each text it accepts to that file (one JSON object a line), the way
    a provider keeps its own record, and `find_sent` reads it back."""

    name = "console"

    def send(self, sms: OutgoingSms) -> str:
        message_id = f"CONSOLE{uuid.uuid4().hex}"
        if settings.SMS_CONSOLE_RECORD:
            entry = {"id": message_id, "at": timezone.now().isoformat(), "from": sms.from_, "to": sms.to}
            with Path(settings.SMS_CONSOLE_RECORD).open("a", encoding="utf-8") as record:
                record.write(json.dumps({**entry, "body": sms.body}) + "\n")
        print(f"[SMS {sms.from_} -> {sms.to}] {sms.body}", flush=True)  # noqa: T201 (this backend's purpose)
        logger.info("console SMS %s sent to %s", message_id, sms.to)
        return message_id

    def find_sent(self, sms: OutgoingSms, since: dt.datetime) -> list[str] | None:
        if not settings.SMS_CONSOLE_RECORD:
            return None
        path = Path(settings.SMS_CONSOLE_RECORD)
        if not path.exists():
            return []
        found = []
        with path.open(encoding="utf-8") as record:
            for line in record:
                entry = json.loads(line)
                if (
                    (entry["from"], entry["to"]) == (sms.from_, sms.to)
                    and dt.datetime.fromisoformat(entry["at"]) >= since
                    and same_text(entry["body"], sms.body)
                ):
                    found.append(entry["id"])
        return found[::-1]


# Twilio answers these with a 4xx that will not change on a retry.
TWILIO_RETRYABLE_STATUSES = {408, 429}


# How far back a lookup reaches before the moment asked for: the provider's clock and
# ours differ a little.
CLOCK_SKEW = dt.timedelta(minutes=2)
# A number gets a handful of texts a day; more than this many since a send is not ours.
LOOKUP_LIMIT = 50


class TwilioBackend(SmsBackend):
    name = "twilio"

    def __init__(self, client=None) -> None:
        if client is None:
            from twilio.rest import Client

            from clinic.messaging.provider_http import DeadlineHttpClient

            # A call never outlives SMS_PROVIDER_TIMEOUT_SECONDS in all (a deadline, not
            # a per-read timeout), so a send still `sending` after
            # SMS_LOST_SEND_AFTER_SECONDS has no live worker behind it.
            http = DeadlineHttpClient(
                connect_timeout=settings.SMS_PROVIDER_CONNECT_TIMEOUT_SECONDS,
                timeout=settings.SMS_PROVIDER_TIMEOUT_SECONDS,
            )
            client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http)
        self.client = client

    def send(self, sms: OutgoingSms) -> str:
        options = {"to": sms.to, "from_": sms.from_, "body": sms.body}
        if sms.status_callback:
            options["status_callback"] = sms.status_callback
        with _as_send_errors():
            return self.client.messages.create(**options).sid

    def find_sent(self, sms: OutgoingSms, since: dt.datetime) -> list[str] | None:
        """Twilio's message list for this sender and number, newest first (its filters
        are by the day sent, which a text still queued there lacks: so by number only,
        and the time checked here)."""
        with _as_send_errors():
            listed = self.client.messages.list(to=sms.to, from_=sms.from_, limit=LOOKUP_LIMIT)
        return [
            message.sid
            for message in listed
            if message.date_created is not None
            and message.date_created >= since - CLOCK_SKEW
            and same_text(message.body or "", sms.body)
        ]


@contextmanager
def _as_send_errors():
    from twilio.base.exceptions import TwilioException, TwilioRestException

    try:
        yield
    except TwilioRestException as exc:
        retryable = exc.status >= 500 or exc.status in TWILIO_RETRYABLE_STATUSES
        raise SmsSendError(str(exc.msg)[:300], retryable=retryable, code=str(exc.code or exc.status)) from exc
    except (TwilioException, OSError) as exc:
        # Connection errors and timeouts: the provider may be back in a minute.
        raise SmsSendError(str(exc)[:300], retryable=True, code="network") from exc


BACKENDS = {"console": ConsoleBackend, "twilio": TwilioBackend}


def get_backend() -> SmsBackend:
    path = settings.SMS_BACKEND
    backend_class = BACKENDS.get(path) or import_string(path)
    return backend_class()
