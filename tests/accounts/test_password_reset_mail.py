"""Password reset mail names no one: neither the username (half of a sign-in) nor the
person's name travel through mail servers and inboxes we do not control."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_reset_mail_names_neither_the_username_nor_the_person(client, staff_a, mailoutbox):
    client.post("/accounts/password_reset/", {"email": staff_a.email})
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    texts = [mail.subject, mail.body, *(content for content, _ in getattr(mail, "alternatives", []))]
    for text in texts:
        for name in (staff_a.username, staff_a.first_name, staff_a.last_name, staff_a.get_full_name()):
            assert name.lower() not in text.lower(), (name, text)
    assert mail.to == [staff_a.email]
    assert re.search(r"http://testserver/accounts/reset/\S+/", mail.body)  # still does its job
