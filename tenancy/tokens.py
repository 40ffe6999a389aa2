"""Link tokens: 32 random bytes, URL-safe base64 (43 characters), for links that must
name nothing (invitations, calendar feeds). Only a token's sha256 is stored, so a
leaked table holds no usable link; a token is shown once, when it is made."""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 32
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> tuple[str, str]:
    """(token for the link, hash to store)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def token_hash_if_valid(token: str) -> str | None:
    """The hash to look up for a well-formed token; None for anything else, which then
    costs no database query."""
    if not isinstance(token, str) or not _TOKEN_PATTERN.fullmatch(token):
        return None
    return hash_token(token)
