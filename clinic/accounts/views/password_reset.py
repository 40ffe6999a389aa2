"""Password reset requests, limited per client address and per email address.

Each request mails a link, so without a limit the form is a way to flood someone's
inbox, and to probe at will. Requests are counted in the cache for a fixed window
(settings.PASSWORD_RESET_LIMIT_*); past either limit the request is refused with a
page that is the same whether or not an account uses the address, so the limit tells
a prober nothing the normal answer would not."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.views import PasswordResetView
from django.http import HttpResponse
from django.shortcuts import render

from clinic.accounts.client_ip import client_ip
from clinic.accounts.mail_limits import count_in_window, email_digest

logger = logging.getLogger(__name__)


class ThrottledPasswordResetView(PasswordResetView):
    def form_valid(self, form) -> HttpResponse:
        window = settings.PASSWORD_RESET_LIMIT_WINDOW_MINUTES * 60
        # Both counted, always: a refusal for one must not leave the other unspent.
        address = client_ip(self.request)
        per_ip = count_in_window(f"password_reset:ip:{address}", window)
        per_email = count_in_window(f"password_reset:email:{email_digest(form.cleaned_data['email'])}", window)
        if per_ip > settings.PASSWORD_RESET_LIMIT_PER_IP or per_email > settings.PASSWORD_RESET_LIMIT_PER_EMAIL:
            logger.warning("Password reset refused: too many requests from %s or for one address", address)
            context = {"minutes": settings.PASSWORD_RESET_LIMIT_WINDOW_MINUTES}
            response = render(self.request, "registration/password_reset_throttled.html", context, status=429)
            response["Retry-After"] = str(window)
            return response
        return super().form_valid(form)
