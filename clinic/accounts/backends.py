"""Signing in with a username or an email address.

What was typed is first a username (exact, as Django matches it), then, if no one has
that username, an email address, matched without regard to case. An address that two
accounts share (they differ only in case) signs no one in: guessing which one was
meant could open the wrong account, and the answer is the same generic refusal as
for a wrong password.

The lockout counts failures against the same account whichever was typed
(`lockout_username`, settings.AXES_USERNAME_CALLABLE), so switching from the username
to the address buys a guesser no fresh attempts."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


def account_for(login: str | None):
    """The active or inactive user `login` names, or None (unknown or ambiguous)."""
    if not login:
        return None
    users = get_user_model()._default_manager
    user = users.filter(username=login).first()
    if user is None and "@" in login:
        # Two rows at most: one means a match, two mean a shared address.
        matches = list(users.filter(email__iexact=login.strip())[:2])
        user = matches[0] if len(matches) == 1 else None
    return user


def lockout_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The name django-axes counts failures under: the account's username when the
    login names one, else what was typed (an unknown name is counted as it came)."""
    if credentials:
        typed = credentials.get("username")
    else:
        typed = getattr(request, "data", request.POST).get("username")
    user = account_for(typed)
    return user.get_username() if user is not None else typed


class UsernameOrEmailBackend(ModelBackend):
    """Django's ModelBackend (permissions, inactive users refused), finding the user
    by username or email address."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = account_for(username)
        if user is None:
            # Hash the password anyway, as ModelBackend does: an unknown name takes as
            # long to refuse as a wrong password.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
