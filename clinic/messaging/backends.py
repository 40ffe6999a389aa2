"""SMS providers behind one small interface.

`get_backend()` returns the configured backend (settings.SMS_BACKEND). A backend's
`send()` returns the provider's message id, or raises SmsSendError saying whether
trying again later may work (a timeout, the provider's 5xx or 429) or never will (an
invalid or unsubscribed number)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
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


class ConsoleBackend(SmsBackend):
    """Prints each text and accepts it (the message log is the record). For demos and
    tests; `manage.py sms_simulate_reply` answers as the patient would."""

    name = "console"

    def send(self, sms: OutgoingSms) -> str:
        message_id = f"CONSOLE{uuid.uuid4().hex}"
        print(f"[SMS {sms.from_} -> {sms.to}] {sms.body}", flush=True)  # noqa: T201 (this backend's purpose)
        logger.info("console SMS %s sent to %s", message_id, sms.to)
        return message_id


# Twilio answers these with a 4xx that will not change on a retry.
TWILIO_RETRYABLE_STATUSES = {408, 429}


class TwilioBackend(SmsBackend):
    name = "twilio"

    def __init__(self, client=None) -> None:
        if client is None:
            from twilio.rest import Client

            client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        self.client = client

    def send(self, sms: OutgoingSms) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        options = {"to": sms.to, "from_": sms.from_, "body": sms.body}
        if sms.status_callback:
            options["status_callback"] = sms.status_callback
        try:
            return self.client.messages.create(**options).sid
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
