"""A user's second factor: one authenticator app (a TOTP device, unconfirmed until a
code from it is entered) and one set of recovery codes (a static device whose tokens
are deleted as they are used). Every check goes through django-otp's throttling:
after a wrong code the device refuses codes for 1, 2, 4, 8… seconds.

The device tables show a user's devices to that user alone (migration accounts/0004),
so each function runs as the user it is about (`acting_user`): during sign-in, before
anyone is signed in, that is the user half-way through it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenancy.context import acting_user

RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of checking a code: the device that accepted it, or why not."""

    device: Device | None = None
    throttled_until: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return self.device is not None


def has_two_factor(user) -> bool:
    """Whether the user has a confirmed authenticator app (sign-in asks for a code)."""
    with acting_user(user):
        return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def app_device(user) -> TOTPDevice | None:
    with acting_user(user):
        return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_app_device(user) -> TOTPDevice:
    """The unconfirmed device being set up: the same one until it is confirmed, so a
    reloaded page shows the QR code already scanned."""
    with acting_user(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def recovery_codes_left(user) -> int:
    with acting_user(user):
        return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def normalize(code: str) -> str:
    """Codes as people type them: spaces and dashes ignored, any case."""
    return "".join(code.split()).replace("-", "").lower()


def check_code(user, code: str) -> CodeCheck:
    """Check a code at sign-in: six digits go to the authenticator app, anything else
    is tried as a recovery code (used up if it matches)."""
    code = normalize(code)
    model = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    with acting_user(user):
        device = model.objects.filter(user=user, confirmed=True).first()
        if device is None:
            return CodeCheck()
        return check_code_on(device, code)


def check_code_on(device: Device, code: str) -> CodeCheck:
    """Check `code` against this device, locked for the check (two requests racing
    with the same code cannot both pass). A throttled device is not even asked."""
    with acting_user(device.user_id), transaction.atomic():
        device = type(device).objects.select_for_update().get(pk=device.pk)
        allowed, details = device.verify_is_allowed()
        if not allowed:
            return CodeCheck(throttled_until=(details or {}).get("locked_until"))
        if device.verify_token(normalize(code)):
            return CodeCheck(device=device)
    return CodeCheck()


def confirm_app_device(device: TOTPDevice, code: str) -> tuple[CodeCheck, list[str]]:
    """Turn two-factor sign-in on: the code proves the app holds the secret. Any
    earlier app is replaced, and a fresh set of recovery codes is made (returned,
    to be shown once)."""
    with acting_user(device.user_id), transaction.atomic():
        result = check_code_on(device, code)
        if not result.ok:
            return result, []
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        device = result.device
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return result, new_recovery_codes(device.user)


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODE_COUNT new ones."""
    with acting_user(user), transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
        return codes


def remove_two_factor(user) -> int:
    """Delete every second factor of the user (turning it off, or a lost phone).
    Returns how many devices there were."""
    with acting_user(user), transaction.atomic():
        apps, recovery = TOTPDevice.objects.filter(user=user), StaticDevice.objects.filter(user=user)
        count = apps.count() + recovery.count()
        apps.delete()
        recovery.delete()
        return count
