"""Counting requests that mail a link (a password reset, a sign-up) per client address
and per email address, in the cache, for a fixed window: without a limit such a form
is a way to flood someone's inbox."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def count_in_window(key: str, window: int) -> int:
    """This request's number in the window that `key`'s first request opened."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this one opens a new window
        cache.set(key, 1, timeout=window)
        return 1


def email_digest(email: str) -> str:
    # The cache holds no email addresses, only their hashes.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()
