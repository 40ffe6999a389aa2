"""API keys: what they look like, how they are stored, and the one pre-tenant lookup.

A key is `ck_live_` + 8 characters of public prefix + 43 characters of secret
(32 random bytes, URL-safe base64). The prefix identifies the key in lists; only
the sha256 of the whole key is stored. The key itself is shown once."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass

from django.db import connection

KEY_PREFIX = "ck_live_"
PUBLIC_CHARS = 8
SECRET_BYTES = 32
KEY_PATTERN = re.compile(rf"^{KEY_PREFIX}[A-Za-z0-9_-]{{{PUBLIC_CHARS}}}[A-Za-z0-9_-]{{43}}$")


@dataclass(frozen=True)
class NewKey:
    key: str
    prefix: str
    hash: str


def generate_key() -> NewKey:
    public = secrets.token_urlsafe(PUBLIC_CHARS * 3 // 4)
    key = f"{KEY_PREFIX}{public}{secrets.token_urlsafe(SECRET_BYTES)}"
    return NewKey(key=key, prefix=f"{KEY_PREFIX}{public}", hash=hash_key(key))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def looks_like_key(key: str) -> bool:
    return bool(KEY_PATTERN.fullmatch(key))


def same_hash(stored: str, presented: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(stored.encode("ascii"), presented.encode("ascii"))


@dataclass(frozen=True)
class FoundKey:
    key_id: uuid.UUID
    organization_id: uuid.UUID
    scopes: tuple[str, ...]
    revoked: bool


def lookup(key_hash: str) -> FoundKey | None:
    """The pre-tenant lookup (migration api/0002): hash -> key id, clinic, scopes,
    revoked. None unless exactly one key has this hash."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT key_id, organization_id, scopes, revoked FROM api_key_lookup(%s)", [key_hash])
        rows = cursor.fetchall()
    if len(rows) != 1:
        return None
    key_id, organization_id, scopes, revoked = rows[0]
    return FoundKey(key_id, organization_id, tuple(scopes), revoked)
