"""django_otp's middleware, asking for the session's device only when a page asks
whether the session passed a second factor (`user.is_verified()`).

django_otp reads the device on the first touch of `request.user`, which is every
signed-in request: a query for each page, although only the two-factor pages, the
admin and a clinic requiring two-factor sign-in for its managers ever ask. Here the
device is read on the first `is_verified()` of the request, with the same checks
(the device must be the user's and confirmed, or the session forgets it), so a
removed device stops counting on the very next request that asks. This project
reads `is_verified()` only, never `otp_device` itself, which stays None until then
(or until a sign-in sets it)."""

from __future__ import annotations

import functools

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware

from tenancy.context import current_user_id


class LazyOTPMiddleware(OTPMiddleware):
    def _verify_user_sync(self, request, user):
        self._init_user_fields(user)
        if user.is_authenticated and request.session.get(DEVICE_ID_SESSION_KEY):
            user.is_verified = functools.partial(self._is_verified, request, user)
        return user

    def _is_verified(self, request, user) -> bool:
        if user.otp_device is None and current_user_id() != user.pk:
            # Outside the user's own context RLS hides every device: unverified for
            # now, and the session keeps its device for a page that asks in context.
            return False
        if user.otp_device is None:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            device = self._device_from_persistent_id(persistent_id) if persistent_id else None
            user.otp_device = self._finalize_device(request, user, device)
        # Asked once: from now on the answer is the device found (or set by a sign-in).
        user.is_verified = functools.partial(_has_device, user)
        return user.otp_device is not None


def _has_device(user) -> bool:
    return user.otp_device is not None
