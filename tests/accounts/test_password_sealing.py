"""Password hashes sealed to their user under SECRET_KEY, opened under its fallbacks
while the key changes, and resealed at the next sign-in."""

from __future__ import annotations

import pytest

from clinic.accounts import passwords
from tenancy import proof
from tests.support.people import PASSWORD


@pytest.fixture
def new_secret_key(settings, monkeypatch):
    """SECRET_KEY changed, the old one kept as a fallback; the database's tenant-proof
    key stays the old one (installing the new one is `migrate`'s, not this test's)."""
    database_key = proof.context_key()
    monkeypatch.setattr(proof, "context_key", lambda: database_key)
    old = settings.SECRET_KEY
    settings.SECRET_KEY = f"changed-{old}"
    settings.SECRET_KEY_FALLBACKS = [old]
    return old


def test_a_hash_sealed_under_an_earlier_key_opens_and_is_resealed_under_the_new_one(outsider, new_secret_key, settings):
    stored = outsider.password
    assert not passwords.sealed_with_current_key(stored)
    assert outsider.check_password(PASSWORD)
    outsider.refresh_from_db()
    assert outsider.password != stored
    assert passwords.sealed_with_current_key(outsider.password)
    settings.SECRET_KEY_FALLBACKS = []
    assert outsider.check_password(PASSWORD)


def test_a_hash_sealed_under_a_key_no_longer_listed_opens_nothing(outsider, new_secret_key, settings):
    settings.SECRET_KEY_FALLBACKS = []
    assert not outsider.check_password(PASSWORD)


def test_a_wrong_password_is_refused_and_reseals_nothing(outsider, new_secret_key):
    stored = outsider.password
    assert not outsider.check_password("not-the-password")
    outsider.refresh_from_db()
    assert outsider.password == stored
