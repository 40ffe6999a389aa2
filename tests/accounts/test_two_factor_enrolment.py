"""Setting up two-factor sign-in on /accounts/two-factor/: the app is not trusted
until it has produced a valid code; recovery codes are shown once and can be renewed;
turning it off takes a current code."""

from __future__ import annotations

from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.audit.models import AuditEvent
from tenancy.context import acting_user, tenant_context
from tests.support.people import login
from tests.support.two_factor import code_for, enrol, sign_in_with_code, wrong_code


def _setup_device(user) -> TOTPDevice:
    with acting_user(user):
        return TOTPDevice.objects.get(user=user, confirmed=False)


def _app_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def test_the_setup_page_shows_a_qr_code_and_the_secret(client, org_a, staff_a):
    login(client, staff_a, org_a)
    page = client.get("/accounts/two-factor/setup/")
    body = page.content.decode()
    assert page.status_code == 200
    assert '<svg role="img" aria-label="QR code for your authenticator app"' in body
    assert "<path " in body
    device = _setup_device(staff_a)
    assert not device.confirmed
    secret = page.context["secret"].replace(" ", "")
    assert device.config_url.split("secret=")[1].startswith(secret)
    # Reloading shows the same secret: the app scanned a moment ago stays valid.
    assert client.get("/accounts/two-factor/setup/").context["secret"] == page.context["secret"]


def test_the_device_stays_unconfirmed_until_a_valid_code(client, org_a, staff_a):
    login(client, staff_a, org_a)
    client.get("/accounts/two-factor/setup/")
    device = _setup_device(staff_a)
    response = client.post("/accounts/two-factor/setup/", {"code": wrong_code(device)})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    with acting_user(staff_a):
        device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/accounts/two-factor/").context["enabled"] is False


def test_a_wrong_code_at_setup_does_not_mention_recovery_codes_not_made_yet(client, org_a, staff_a):
    login(client, staff_a, org_a)
    client.get("/accounts/two-factor/setup/")
    response = client.post("/accounts/two-factor/setup/", {"code": wrong_code(_setup_device(staff_a))})
    assert response.context["form"].errors["code"] == ["That code is not right. Enter the code your app shows now."]
    assert "recovery" not in response.content.decode().lower()


def test_a_valid_code_turns_it_on_and_shows_ten_recovery_codes_once(client, org_a, staff_a):
    login(client, staff_a, org_a)
    client.get("/accounts/two-factor/setup/")
    device = _setup_device(staff_a)
    response = client.post("/accounts/two-factor/setup/", {"code": _app_code(device)})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 == len(set(codes))
    assert all(code in response.content.decode() for code in codes)
    with acting_user(staff_a):
        device.refresh_from_db()
    assert device.confirmed
    status = client.get("/accounts/two-factor/")
    assert status.context["enabled"] is True
    assert status.context["verified"] is True  # this session passed the code already
    assert status.context["codes_left"] == 10
    assert not any(code in status.content.decode() for code in codes)


def test_turning_it_on_is_recorded_in_the_users_clinics(client, org_a, staff_a):
    login(client, staff_a, org_a)
    client.get("/accounts/two-factor/setup/")
    client.post("/accounts/two-factor/setup/", {"code": _app_code(_setup_device(staff_a))})
    with tenant_context(org=org_a):
        event = AuditEvent.objects.get(action=AuditEvent.Action.TWO_FACTOR_ON)
    assert event.actor_user_id == staff_a.pk
    assert event.object_id == staff_a.pk


def test_setting_it_up_needs_a_signed_in_user(client, db):
    response = client.get("/accounts/two-factor/setup/")
    assert response["Location"].startswith("/accounts/login/")


def test_new_recovery_codes_replace_the_old_ones(client, org_a, staff_a):
    _, old_codes = enrol(staff_a, with_recovery_codes=True)
    sign_in_with_code(client, staff_a)
    response = client.post("/accounts/two-factor/recovery-codes/")
    new_codes = response.context["codes"]
    assert len(new_codes) == 10
    with acting_user(staff_a):
        stored = set(StaticToken.objects.filter(device__user=staff_a).values_list("token", flat=True))
    assert stored == set(new_codes)
    assert not stored & set(old_codes)
    with tenant_context(org=org_a):
        assert AuditEvent.objects.filter(action=AuditEvent.Action.RECOVERY_CODES).count() == 1


def test_new_recovery_codes_need_a_verified_session(client, org_a, staff_a):
    login(client, staff_a, org_a)  # signed in before setting it up elsewhere
    enrol(staff_a, with_recovery_codes=True)
    response = client.post("/accounts/two-factor/recovery-codes/")
    assert response["Location"].startswith("/accounts/login/verify/")


def test_turning_it_off_needs_a_current_code(client, org_a, staff_a):
    device = enrol(staff_a)
    sign_in_with_code(client, staff_a, device=device)
    refused = client.post("/accounts/two-factor/turn-off/", {"code": wrong_code(device)})
    assert refused.status_code == 400
    assert "That code is not right" in refused.content.decode()
    with acting_user(staff_a):
        assert TOTPDevice.objects.filter(user=staff_a).exists()

    with acting_user(staff_a):
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)  # the wait is over
    response = client.post("/accounts/two-factor/turn-off/", {"code": code_for(device)})
    assert response["Location"] == "/accounts/two-factor/"
    with acting_user(staff_a):
        assert not TOTPDevice.objects.filter(user=staff_a).exists()
    with acting_user(staff_a):
        assert not StaticToken.objects.filter(device__user=staff_a).exists()
    with tenant_context(org=org_a):
        assert AuditEvent.objects.filter(action=AuditEvent.Action.TWO_FACTOR_OFF).count() == 1
    # The next sign-in takes the password alone.
    client.post("/accounts/logout/")
    assert login(client, staff_a) is None and "_auth_user_id" in client.session


def test_turning_it_off_without_a_code_changes_nothing(client, org_a, staff_a):
    device = enrol(staff_a)
    sign_in_with_code(client, staff_a, device=device)
    assert client.post("/accounts/two-factor/turn-off/", {"code": ""}).status_code == 400
    with acting_user(staff_a):
        assert TOTPDevice.objects.filter(user=staff_a, confirmed=True).exists()


def test_the_header_links_to_the_two_factor_page(client, org_a, staff_a):
    login(client, staff_a, org_a)
    assert 'href="/accounts/two-factor/"' in client.get("/").content.decode()
