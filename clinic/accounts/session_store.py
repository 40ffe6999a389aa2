"""Sessions in the database, stored under a hash of their key and encrypted with it.

The browser's cookie holds the session key; the `django_session` table holds only its
BLAKE2b hash, and the session's data encrypted (Fernet) under a key derived from
SECRET_KEY and the session key itself. Whoever can read or write that table (a
database backup, or SQL running as the runtime role, which Django's session machinery
must be able to use) learns no key that would let them sign in as anyone, reads
nothing a session holds (a search typed in the admin, a message naming a patient),
and cannot replay a session: its data copied under another key's hash decrypts under
no key, so the copy is an empty, anonymous session."""

from __future__ import annotations

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone
from django.utils.crypto import salted_hmac

logger = logging.getLogger("django.security.SuspiciousSession")
ENCRYPTION_SALT = "clinic.accounts.session_store.encryption"


def stored_key(session_key: str | None) -> str | None:
    """What the table holds for a session key: 40 hex characters, as its column allows."""
    if session_key is None:
        return None
    return hashlib.blake2b(session_key.encode(), digest_size=20, person=b"clinic.session").hexdigest()


def _fernet_for(session_key: str) -> MultiFernet:
    """The session's own cipher: SECRET_KEY first, then each of SECRET_KEY_FALLBACKS,
    so that rotating SECRET_KEY the documented way keeps sessions readable."""
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    keys = [salted_hmac(ENCRYPTION_SALT, session_key, secret=secret, algorithm="sha256").digest() for secret in secrets]
    return MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in keys])


class SessionStore(db.SessionStore):
    def encode(self, session_dict) -> str:
        signed = super().encode(session_dict)
        return _fernet_for(self._get_or_create_session_key()).encrypt(signed.encode()).decode("ascii")

    def decode(self, session_data: str) -> dict:
        if not self.session_key:
            return {}
        try:
            signed = _fernet_for(self.session_key).decrypt(session_data.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            # Another session's data stored under this key's hash, or a garbled row.
            logger.warning("Session data does not decrypt under its own key")
            return {}
        return super().decode(signed.decode())

    def _get_session_from_db(self):
        try:
            return self.model.objects.get(session_key=stored_key(self.session_key), expire_date__gt=timezone.now())
        except (self.model.DoesNotExist, SuspiciousOperation):
            self._session_key = None

    async def _aget_session_from_db(self):
        try:
            return await self.model.objects.aget(
                session_key=stored_key(self.session_key), expire_date__gt=timezone.now()
            )
        except (self.model.DoesNotExist, SuspiciousOperation):
            self._session_key = None

    def exists(self, session_key):
        return self.model.objects.filter(session_key=stored_key(session_key)).exists()

    async def aexists(self, session_key):
        return await self.model.objects.filter(session_key=stored_key(session_key)).aexists()

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        instance.session_key = stored_key(instance.session_key)
        return instance

    async def acreate_model_instance(self, data):
        instance = await super().acreate_model_instance(data)
        instance.session_key = stored_key(instance.session_key)
        return instance

    def delete(self, session_key=None):
        session_key = session_key if session_key is not None else self.session_key
        if session_key is not None:
            self.model.objects.filter(session_key=stored_key(session_key)).delete()

    async def adelete(self, session_key=None):
        session_key = session_key if session_key is not None else self.session_key
        if session_key is not None:
            await self.model.objects.filter(session_key=stored_key(session_key)).adelete()
