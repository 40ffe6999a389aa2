"""Post a patient's reply to the running app's inbound webhook, signed exactly as
Twilio signs it, for demos and manual tests:

    manage.py sms_simulate_reply --to +12025550142 --from +12025550111 --body C
"""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from clinic.core.phones import normalize_phone
from clinic.messaging.webhook_auth import sign


class Command(BaseCommand):
    help = "Send a signed inbound-SMS webhook to the running app, as the provider would."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--to", required=True, help="The clinic's sender number (E.164).")
        parser.add_argument("--from", required=True, dest="from_number", help="The patient's phone (E.164).")
        parser.add_argument("--body", required=True, help="The text, e.g. C, N, STOP, HELP.")
        parser.add_argument(
            "--url",
            # Where `make run` serves: its PORT, when this terminal has it too.
            default=f"http://127.0.0.1:{os.environ.get('PORT') or 8000}",
            help="Base URL of the running app (default %(default)s, after PORT).",
        )

    def handle(self, *args, to: str, from_number: str, body: str, url: str, **options) -> None:
        try:
            to, from_number = normalize_phone(to), normalize_phone(from_number)
        except Exception as exc:  # a ValidationError with the reason
            raise CommandError(f"Not a phone number: {' '.join(getattr(exc, 'messages', [str(exc)]))}") from None
        endpoint = url.rstrip("/") + reverse("messaging:twilio_inbound")
        params = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "AccountSid": "AC" + "0" * 32,
            "From": from_number,
            "To": to,
            "Body": body,
            "NumMedia": "0",
        }
        request = urllib.request.Request(  # noqa: S310 (an http(s) URL given by the operator)
            endpoint,
            data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": sign(endpoint, params)},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            raise CommandError(f"The app answered {exc.code} to {endpoint}.") from None
        except urllib.error.URLError as exc:
            raise CommandError(f"Cannot reach {endpoint}: {exc.reason}. Is `make run` running?") from None
        self.stdout.write(f"Sent {body!r} from {from_number} to {to}: the app answered {status}.")
