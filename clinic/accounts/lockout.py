"""The page a locked-out sign-in gets (settings.AXES_LOCKOUT_CALLABLE), on the staff
login and the admin's alike: what happened and when to try again, with 429 and
Retry-After. It says the same whether the username exists or not, and whether the
username or the address was locked, so it tells a guesser nothing new."""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

LOCKOUT_STATUS = 429


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None):
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    context = {"minutes": math.ceil(seconds / 60)}
    response = render(request, "accounts/locked_out.html", context, status=LOCKOUT_STATUS)
    response["Retry-After"] = str(seconds)
    return response
