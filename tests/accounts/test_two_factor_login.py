"""Signing in with two-factor sign-in: after the password nobody is signed in yet;
a code from the app, or a recovery code (once), finishes it; wrong codes are
throttled by django-otp."""

from __future__ import annotations

import time

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.accounts.two_factor.login import PENDING_KEY, PENDING_SECONDS
from clinic.audit.models import AuditEvent
from tenancy.context import acting_user, tenant_context
from tenancy.session import SESSION_ORG_KEY
from tests.support.people import PASSWORD
from tests.support.two_factor import code_for, enrol, wrong_code

VERIFY = "/accounts/login/verify/"


def password_step(client, user, **extra):
    return client.post("/accounts/login/", {"username": user.username, "password": PASSWORD, **extra})


def test_the_password_alone_leads_to_the_second_step(client, org_a, staff_a):
    enrol(staff_a)
    response = password_step(client, staff_a)
    assert response["Location"] == VERIFY
    assert "_auth_user_id" not in client.session
    assert SESSION_ORG_KEY not in client.session
    page = client.get(VERIFY)
    assert page.status_code == 200
    assert "Two-factor sign-in" in page.content.decode()
    assert 'autocomplete="one-time-code"' in page.content.decode()


@pytest.mark.parametrize("path", ["/", "/patients/", "/members/", "/accounts/two-factor/", "/clinics/"])
def test_half_signed_in_opens_no_page(client, org_a, staff_a, path):
    enrol(staff_a)
    password_step(client, staff_a)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_half_signed_in_gets_nothing_from_the_api_or_admin(client, org_a, owner_a):
    owner_a.is_staff = True
    owner_a.save()
    enrol(owner_a)
    password_step(client, owner_a)
    assert client.get("/api/v1/me/").status_code in (401, 403)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert client.get("/admin/login/?next=/admin/")["Location"].startswith("/accounts/login/")


def test_a_code_from_the_app_signs_in(client, org_a, staff_a):
    device = enrol(staff_a)
    password_step(client, staff_a)
    response = client.post(VERIFY, {"code": code_for(device)})
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(staff_a.pk)
    assert client.session[SESSION_ORG_KEY] == str(org_a.id)
    assert PENDING_KEY not in client.session
    assert client.get("/").status_code == 200
    with tenant_context(org=org_a):
        assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN, actor_user_id=staff_a.pk).count() == 1


def test_the_page_asked_for_is_kept_as_a_path(client, org_a, staff_a):
    device = enrol(staff_a)
    password_step(client, staff_a, next="/patients/?q=doe")
    assert client.post(VERIFY, {"code": code_for(device)})["Location"] == "/patients/?q=doe"


def test_an_unsafe_next_is_dropped(client, org_a, staff_a):
    device = enrol(staff_a)
    password_step(client, staff_a, next="https://evil.example/")
    assert client.post(VERIFY, {"code": code_for(device)})["Location"] == "/"


def test_a_wrong_code_says_so_and_signs_nobody_in(client, org_a, staff_a):
    device = enrol(staff_a)
    password_step(client, staff_a)
    response = client.post(VERIFY, {"code": wrong_code(device)})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session
    with tenant_context(org=org_a):
        assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).count() == 1


def test_recovery_codes_are_mentioned_at_sign_in_only_when_there_are_some(client, org_a, staff_a):
    device, _codes = enrol(staff_a, with_recovery_codes=True)
    password_step(client, staff_a)
    offered = client.post(VERIFY, {"code": wrong_code(device)})
    assert offered.context["form"].errors["code"] == [
        "That code is not right. Enter the code your app shows now, or an unused recovery code."
    ]
    assert "Enter one of your recovery codes instead." in offered.content.decode()

    use_up_recovery_codes(device)
    none_left = client.post(VERIFY, {"code": wrong_code(device)})
    assert none_left.context["form"].errors["code"] == ["That code is not right. Enter the code your app shows now."]
    assert "recovery" not in none_left.content.decode().lower()


def use_up_recovery_codes(device: TOTPDevice) -> None:
    """All recovery codes spent, and the app's wrong-code pause over."""
    with acting_user(device.user_id):
        StaticToken.objects.filter(device__user=device.user_id).delete()
        device.refresh_from_db()
        device.throttle_reset()


def test_repeated_wrong_codes_are_throttled(client, org_a, staff_a):
    device = enrol(staff_a)
    password_step(client, staff_a)
    client.post(VERIFY, {"code": wrong_code(device)})
    # Right after a wrong code the device accepts none, not even the right one.
    response = client.post(VERIFY, {"code": code_for(device)})
    assert response.status_code == 400
    assert "Too many wrong codes. Wait" in response.content.decode()
    assert "_auth_user_id" not in client.session
    with acting_user(device.user_id):
        device.refresh_from_db()
    assert device.throttling_failure_count == 1  # a refused try is not counted again

    with acting_user(device.user_id):
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    assert client.post(VERIFY, {"code": code_for(device)}).status_code == 302


def test_the_delay_doubles_with_each_wrong_code(client, org_a, staff_a):
    device = enrol(staff_a)
    password_step(client, staff_a)
    for _ in range(3):
        # Each wrong code counted (the wait after the previous one taken as over).
        with acting_user(device.user_id):
            TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
        client.post(VERIFY, {"code": wrong_code(device)})
    with acting_user(device.user_id):
        device.refresh_from_db()
    assert device.throttling_failure_count == 3
    response = client.post(VERIFY, {"code": code_for(device)})
    assert "Too many wrong codes. Wait 4 seconds, then try again." in response.content.decode()


def test_a_recovery_code_works_once(client, org_a, staff_a):
    _, codes = enrol(staff_a, with_recovery_codes=True)
    password_step(client, staff_a)
    typed = f"{codes[0][:4].upper()} {codes[0][4:].upper()}"  # as people type it
    assert client.post(VERIFY, {"code": typed})["Location"] == "/"
    with acting_user(staff_a):
        assert not StaticToken.objects.filter(token=codes[0]).exists()
    with acting_user(staff_a):
        assert StaticToken.objects.filter(device__user=staff_a).count() == 9

    client.post("/accounts/logout/")
    password_step(client, staff_a)
    response = client.post(VERIFY, {"code": codes[0]})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_an_app_code_is_accepted_once(client, org_a, staff_a):
    device = enrol(staff_a)
    password_step(client, staff_a)
    code = code_for(device)
    client.post(VERIFY, {"code": code})
    client.post("/accounts/logout/")
    password_step(client, staff_a)
    assert client.post(VERIFY, {"code": code}).status_code == 400


def test_the_second_step_expires(client, org_a, staff_a):
    device = enrol(staff_a)
    password_step(client, staff_a)
    session = client.session
    session[PENDING_KEY] = {**session[PENDING_KEY], "since": time.time() - PENDING_SECONDS - 1}
    session.save()
    response = client.post(VERIFY, {"code": code_for(device)})
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_a_password_change_between_the_steps_voids_the_first(client, org_a, staff_a):
    device = enrol(staff_a)
    password_step(client, staff_a)
    staff_a.set_password("a-different-passphrase-77")
    staff_a.save()
    assert client.post(VERIFY, {"code": code_for(device)})["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_the_verify_page_without_a_password_step_sends_to_sign_in(client, db):
    assert client.get(VERIFY)["Location"] == "/accounts/login/"


def test_the_session_key_changes_after_the_password(client, org_a, staff_a):
    enrol(staff_a)
    before = client.session.session_key
    password_step(client, staff_a)
    assert client.cookies["sessionid"].value != before


def test_users_without_two_factor_sign_in_as_before(client, org_a, staff_a):
    response = password_step(client, staff_a)
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(staff_a.pk)
