"""Sessions in the database, stored under a hash of their key.

The browser's cookie holds the session key; the `django_session` table holds only its
BLAKE2b hash. Whoever can read that table (a database backup, or SQL running as the
runtime role, which Django's session machinery must be able to read) learns no key
that would let them sign in as anyone."""

from __future__ import annotations

import hashlib

from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone


def stored_key(session_key: str | None) -> str | None:
    """What the table holds for a session key: 40 hex characters, as its column allows."""
    if session_key is None:
        return None
    return hashlib.blake2b(session_key.encode(), digest_size=20, person=b"clinic.session").hexdigest()


class SessionStore(db.SessionStore):
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
