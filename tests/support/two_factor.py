"""Two-factor sign-in for tests: a confirmed authenticator app with codes made from
its key (django_otp.oath.totp), and a client signed in through both steps."""

from __future__ import annotations

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP, hotp, totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.accounts.two_factor.devices import APP_DEVICE_NAME, new_recovery_codes
from tenancy.context import acting_user
from tests.support.people import PASSWORD


def enrol(user, *, with_recovery_codes: bool = False) -> TOTPDevice | tuple[TOTPDevice, list[str]]:
    """A confirmed authenticator app for `user` (and recovery codes, if asked for)."""
    with acting_user(user):  # only a user's own devices are theirs to see and add
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=True)
    if with_recovery_codes:
        return device, new_recovery_codes(user)
    return device


def code_for(device: TOTPDevice) -> str:
    """The app's code now; or, when that one was used already (a code is accepted
    once), the next time step's, which the device's tolerance of one step allows."""
    with acting_user(device.user_id):
        device.refresh_from_db()
    now = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
    if now > device.last_t:
        value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    else:
        value = hotp(device.bin_key, device.last_t + 1, device.digits)
    return f"{value:0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    right = code_for(device)
    return f"{(int(right) + 1) % 10**device.digits:0{device.digits}d}"


def sign_in_with_code(client, user, org=None, *, device: TOTPDevice | None = None, **extra):
    """Both steps of signing in (enrolling the user first if they have no app); then,
    like tests.support.people.login, the clinic `org` made active."""
    with acting_user(user):
        device = device or TOTPDevice.objects.filter(user=user, confirmed=True).first() or enrol(user)
    client.logout()
    first = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD, **extra})
    assert first.status_code == 302 and first["Location"] == "/accounts/login/verify/", first
    second = client.post("/accounts/login/verify/", {"code": code_for(device)})
    assert second.status_code == 302, second.content
    if org is not None:
        from tenancy.session import SESSION_ORG_KEY

        session = client.session
        session[SESSION_ORG_KEY] = str(org.id)
        session.save()
    return second


def force_login_verified(client, user) -> None:
    """`client.force_login`, with the second factor passed: the session names a
    confirmed device of the user, as django_otp.login leaves it."""
    with acting_user(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or enrol(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
