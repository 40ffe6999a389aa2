"""Password reset requests are limited per client address and per email address,
and the refusal says the same whether or not an account uses the address."""

from __future__ import annotations

import pytest

RESET = "/accounts/password_reset/"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 5
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 3
    settings.PASSWORD_RESET_LIMIT_WINDOW_MINUTES = 60


def ask(client, email: str, ip: str = "198.51.100.7"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=ip)


def test_one_address_gets_at_most_the_limit_of_mails(client, staff_a, mailoutbox):
    for number in range(3):
        assert ask(client, staff_a.email, ip=f"198.51.100.{number + 1}")["Location"] == "/accounts/password_reset/done/"
    # From yet another address, and written differently: still the same mailbox.
    refused = ask(client, staff_a.email.upper(), ip="203.0.113.9")
    assert refused.status_code == 429
    assert refused["Retry-After"] == str(60 * 60)
    assert "Too many reset requests" in refused.content.decode()
    assert len(mailoutbox) == 3


def test_one_client_address_asking_for_many_mailboxes_is_refused(client, staff_a, owner_a, mailoutbox):
    for number in range(5):
        ask(client, f"someone-{number}@example.test")
    assert ask(client, staff_a.email).status_code == 429
    assert mailoutbox == []
    assert ask(client, owner_a.email, ip="203.0.113.9")["Location"] == "/accounts/password_reset/done/"
    assert len(mailoutbox) == 1


def test_the_refusal_is_the_same_for_an_unknown_address(client, staff_a):
    answers = []
    for email in (staff_a.email, "nobody@example.test"):
        for _ in range(3):
            ask(client, email, ip="203.0.113.1")
        answers.append(ask(client, email, ip="203.0.113.2"))
    known, unknown = answers
    assert known.status_code == unknown.status_code == 429
    assert known.content == unknown.content


def test_the_window_ends(client, staff_a, mailoutbox):
    from django.core.cache import cache

    for _ in range(4):
        ask(client, staff_a.email)
    assert len(mailoutbox) == 3
    cache.clear()  # as the window's expiry does
    assert ask(client, staff_a.email)["Location"] == "/accounts/password_reset/done/"
    assert len(mailoutbox) == 4


def test_the_cache_holds_no_email_address(client, staff_a):
    from django.core.cache import cache

    ask(client, staff_a.email)
    keys = [str(key) for key in cache._cache]  # the local-memory cache of the tests
    assert keys
    assert not any("example.test" in key or staff_a.username in key for key in keys)
