"""Sign out a user who has made no request for SESSION_IDLE_TIMEOUT_MINUTES, or who
signed in more than SESSION_ABSOLUTE_LIFETIME_HOURS ago, and keep signed-in pages out
of every cache. Activity is recorded at most once a minute, so that reading a page
writes nothing (ACTIVITY_RESOLUTION_SECONDS).

Clinic screens are shared: a workstation left signed in at the front desk must not
keep showing patients. The last activity lives in the server-side session, so the
rule holds whatever the browser does; the page's small timer (static/js/idle.js)
only makes an abandoned screen go blank on time. The absolute lifetime bounds what a
stolen session cookie is worth, however busy its thief keeps it: the sign-in time is
recorded in the session at login (record_sign_in, on user_logged_in, so every way of
signing in sets it). For the same reason every response to
a signed-in user is `Cache-Control: no-store`: after signing out, the browser's Back
button must not bring a patient's page back from its cache."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

LAST_ACTIVITY_KEY = "accounts_last_activity"
SIGNED_IN_AT_KEY = "accounts_signed_in_at"
# Set in the fresh session after an idle sign-out; the login page turns it into a message.
SIGNED_OUT_IDLE_KEY = "accounts_signed_out_idle"
# Likewise after a sign-out at the end of the session's lifetime.
SIGNED_OUT_LIFETIME_KEY = "accounts_signed_out_lifetime"


# Activity is recorded at most this often: a page that only reads writes nothing,
# not even its session, between two records. The cost is that a session may be
# signed out up to this much before its last request's timeout, never after; a
# short timeout records more often (activity_resolution_seconds).
ACTIVITY_RESOLUTION_SECONDS = 60


def clock() -> float:
    """Seconds since the epoch: the one clock of these rules, which tests move."""
    return time.time()


def idle_timeout_seconds() -> int:
    return settings.SESSION_IDLE_TIMEOUT_MINUTES * 60


def activity_resolution_seconds() -> float:
    """A minute, or a tenth of the idle timeout when that is shorter than ten minutes."""
    return min(ACTIVITY_RESOLUTION_SECONDS, idle_timeout_seconds() / 10)


def absolute_lifetime_seconds() -> int:
    return settings.SESSION_ABSOLUTE_LIFETIME_HOURS * 60 * 60


def record_sign_in(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """user_logged_in receiver: when the session's lifetime starts."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT_KEY] = clock()


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        now = clock()
        signed_in_at = request.session.get(SIGNED_IN_AT_KEY)
        # A session without a sign-in time predates the rule: it is treated as expired.
        if not _is_number(signed_in_at) or now - signed_in_at > absolute_lifetime_seconds():
            return self._sign_out(request, SIGNED_OUT_LIFETIME_KEY)
        last_activity = request.session.get(LAST_ACTIVITY_KEY)
        if _is_number(last_activity) and now - last_activity > idle_timeout_seconds():
            return self._sign_out(request, SIGNED_OUT_IDLE_KEY)
        if not _is_number(last_activity) or now - last_activity >= activity_resolution_seconds():
            request.session[LAST_ACTIVITY_KEY] = now
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response

    def _sign_out(self, request: HttpRequest, reason_key: str) -> HttpResponse:
        logout(request)
        request.session[reason_key] = True
        # A GET can be repeated after signing in again; a POST from a stale form cannot
        # (its CSRF token went with the session), so it just lands on the login page.
        # The page comes back by its path alone: its query string may be a search
        # (PHI), and `?next=` ends up in access logs and history.
        if request.method in ("GET", "HEAD"):
            return redirect_to_login(request.path)
        return redirect(settings.LOGIN_URL)
