"""Sign out a user who has made no request for SESSION_IDLE_TIMEOUT_MINUTES, and keep
signed-in pages out of every cache.

Clinic screens are shared: a workstation left signed in at the front desk must not
keep showing patients. The last activity lives in the server-side session, so the
rule holds whatever the browser does; the page's small timer (static/js/idle.js)
only makes an abandoned screen go blank on time. For the same reason every response to
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
# Set in the fresh session after an idle sign-out; the login page turns it into a message.
SIGNED_OUT_IDLE_KEY = "accounts_signed_out_idle"


def idle_timeout_seconds() -> int:
    return settings.SESSION_IDLE_TIMEOUT_MINUTES * 60


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        now = time.time()
        last_activity = request.session.get(LAST_ACTIVITY_KEY)
        if isinstance(last_activity, int | float) and now - last_activity > idle_timeout_seconds():
            return self._sign_out(request)
        request.session[LAST_ACTIVITY_KEY] = now
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response

    def _sign_out(self, request: HttpRequest) -> HttpResponse:
        logout(request)
        request.session[SIGNED_OUT_IDLE_KEY] = True
        # A GET can be repeated after signing in again; a POST from a stale form cannot
        # (its CSRF token went with the session), so it just lands on the login page.
        # The page comes back by its path alone: its query string may be a search
        # (PHI), and `?next=` ends up in access logs and history.
        if request.method in ("GET", "HEAD"):
            return redirect_to_login(request.path)
        return redirect(settings.LOGIN_URL)
