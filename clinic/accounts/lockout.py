"""Sign-in lockout: what is counted, and the page a locked-out sign-in gets.

Wrong passwords are counted (django-axes, in the database) per username and client
address together: LOGIN_FAILURE_LIMIT of them lock that user at that address, so a
colleague behind the same shared address (a front desk's router) still signs in.
Apart from that, LOGIN_ADDRESS_FAILURE_LIMIT failures from one address across all
usernames lock the address itself, against one client trying a password on many
accounts. django-axes applies one limit to every parameter combination, so the
address's higher limit is this handler's own check.

The page (settings.AXES_LOCKOUT_CALLABLE), on the staff login and the admin's alike,
says what happened and when to try again, with 429 and Retry-After. It reads the same
whether the username exists or not, and whether the user or the address was locked,
so it tells a guesser nothing new."""

from __future__ import annotations

import logging
import math

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger("axes")
LOCKOUT_STATUS = 429


def address_failures(request: HttpRequest) -> int:
    """Failures from the request's address within the cool-off, whatever the username."""
    attempts = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    )
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def address_locked(request: HttpRequest) -> bool:
    return address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


class LockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler (user and address together), plus the limit
    per address across all usernames."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or address_locked(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or request.axes_locked_out or self.is_whitelisted(request, credentials):
            return
        if address_locked(request):
            logger.warning("AXES: Locking out address %s after repeated login failures.", request.axes_ip_address)
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request, username=None, ip_address=request.axes_ip_address)


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None):
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    context = {"minutes": math.ceil(seconds / 60)}
    response = render(request, "accounts/locked_out.html", context, status=LOCKOUT_STATUS)
    response["Retry-After"] = str(seconds)
    return response
