"""Password hashes at rest, sealed to their user.

`accounts_user.password` holds Django's hash (PBKDF2) encrypted with Fernet under a key
derived from SECRET_KEY (each of SECRET_KEY_FALLBACKS still opens it), with the user's
id inside the sealed text. So SQL that reads the table (an injection as the runtime
role, a leaked backup) gets no hash to crack offline, and a hash copied from one row
into another — someone's own, whose password they know — opens nothing: the id
inside names the row it was sealed for. `User.save()` seals; `User.check_password()`
opens. An unusable password ("!…", Django's marker for "no password") stays as it is:
it signs nobody in either way."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.auth.hashers import is_password_usable
from django.utils.crypto import salted_hmac

SEALED_PREFIX = "sealed$"
KEY_SALT = "clinic.accounts.passwords"


def _fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    keys = [salted_hmac(KEY_SALT, "v1", secret=secret, algorithm="sha256").digest() for secret in secrets]
    return MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in keys])


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


def needs_sealing(stored: str | None) -> bool:
    return bool(stored) and is_password_usable(stored) and not is_sealed(stored)


def seal(encoded: str, user_id) -> str:
    token = _fernet().encrypt(f"{user_id}|{encoded}".encode())
    return SEALED_PREFIX + token.decode("ascii")


def unseal(stored: str, user_id) -> str | None:
    """Django's hash for this user, or None: not sealed, sealed for another user, or
    under no key this server has."""
    if not is_sealed(stored):
        return None
    try:
        plain = _fernet().decrypt(stored.removeprefix(SEALED_PREFIX).encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        return None
    owner, _, encoded = plain.partition("|")
    return encoded if owner == str(user_id) else None


def sealed_with_current_key(stored: str) -> bool:
    """Whether the first key (SECRET_KEY's) sealed it; otherwise it is resealed at the
    next successful sign-in, as Django rehashes an old hasher's hash."""
    token = stored.removeprefix(SEALED_PREFIX).encode("ascii")
    try:
        Fernet(base64.urlsafe_b64encode(salted_hmac(KEY_SALT, "v1", algorithm="sha256").digest())).decrypt(token)
    except InvalidToken:
        return False
    return True
