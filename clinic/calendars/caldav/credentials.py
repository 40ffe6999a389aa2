"""Calendar passwords at rest: Fernet tokens (AES-128-CBC with HMAC-SHA256, the
`cryptography` package) under the keys in CALENDAR_CREDENTIALS_KEYS. The first key
encrypts; every key decrypts, so a new key goes first and the old one stays listed
until `manage.py rotate_calendar_credentials` has re-encrypted every password.

Without keys, DEBUG (a laptop, the demo) uses one derived from SECRET_KEY, so that
changing SECRET_KEY there makes stored passwords unreadable (reconnect the calendars);
anywhere else, using a password raises ImproperlyConfigured. Nothing here logs, and
no error says anything about a password or a key."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DERIVED_KEY_CONTEXT = b"clinic.calendars.caldav credentials v1|"


class UnreadableCredentials(Exception):
    """A stored password no configured key decrypts (its key was removed too early)."""


def _keys() -> list[bytes]:
    if settings.CALENDAR_CREDENTIALS_KEYS:
        return [key.encode("ascii") for key in settings.CALENDAR_CREDENTIALS_KEYS]
    if settings.DEBUG:
        digest = hashlib.sha256(DERIVED_KEY_CONTEXT + settings.SECRET_KEY.encode()).digest()
        return [base64.urlsafe_b64encode(digest)]
    raise ImproperlyConfigured(
        "Set CALENDAR_CREDENTIALS_KEYS (Fernet keys, comma-separated) to store calendar passwords."
    )


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def encrypt(password: str) -> str:
    return _fernet().encrypt(password.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise UnreadableCredentials("No configured key decrypts this calendar password.") from None


def rotate(token: str) -> str:
    """The same password, encrypted with the first key."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise UnreadableCredentials("No configured key decrypts this calendar password.") from None


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
