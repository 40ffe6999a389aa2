"""Helpers for the invitation tests: invite through the members page as a manager
would, and read the link out of the mail the invitee gets."""

from __future__ import annotations

import re

LINK = re.compile(r"https?://\S+/invitations/([A-Za-z0-9_-]+)/")


def invite(client, capture, email: str, role: str = "staff", **extra):
    """POST the invite form; the mail goes out on commit, so run those callbacks."""
    with capture(execute=True):
        return client.post("/members/invite/", {"email": email, "role": role, **extra})


def token_in(mail) -> str:
    return LINK.search(mail.body).group(1)


def link_in(mail) -> str:
    return f"/invitations/{token_in(mail)}/"
