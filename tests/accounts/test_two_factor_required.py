"""A clinic that requires two-factor sign-in for its owners and admins (/settings/security/):
they are sent to set it up before any page of the clinic; staff members are not; API
keys are not; the session-authenticated API answers 403 until the session is verified."""

from __future__ import annotations

import pytest

from clinic.accounts.models import SecuritySettings
from clinic.audit.models import AuditEvent
from tenancy.context import acting_user, tenant_context
from tenancy.models import Membership
from tests.support.people import add_member, login, make_user
from tests.support.two_factor import code_for, enrol, sign_in_with_code


def require(org, on: bool = True) -> None:
    with tenant_context(org=org):
        SecuritySettings.objects.update_or_create(defaults={"require_two_factor": on})


@pytest.fixture
def admin_a(org_a):
    user = make_user("ada_admin_a")
    add_member(org_a, user, Membership.Role.ADMIN)
    return user


@pytest.mark.parametrize("path", ["/", "/patients/", "/members/", "/settings/security/", "/audit/"])
def test_an_owner_without_it_is_sent_to_set_it_up(client, org_a, owner_a, path):
    require(org_a)
    login(client, owner_a, org_a)
    response = client.get(path)
    assert response["Location"] == "/accounts/two-factor/setup/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Clinic A requires two-factor sign-in for owners and admins" in page.content.decode()


def test_an_admin_is_sent_too_and_a_post_changes_nothing(client, org_a, admin_a, people_a):
    require(org_a)
    login(client, admin_a, org_a)
    response = client.post(f"/patients/{people_a.jane.pk}/edit/", {"first_name": "Changed"})
    assert response["Location"] == "/accounts/two-factor/setup/"
    with tenant_context(org=org_a):
        people_a.jane.refresh_from_db()
    assert people_a.jane.first_name == "Jane"


def test_staff_members_are_not_affected(client, org_a, staff_a):
    require(org_a)
    login(client, staff_a, org_a)
    assert client.get("/").status_code == 200
    assert client.get("/patients/").status_code == 200


def test_signing_out_and_the_two_factor_pages_stay_open(client, org_a, owner_a):
    require(org_a)
    login(client, owner_a, org_a)
    assert client.get("/accounts/two-factor/").status_code == 200
    assert client.get("/clinics/").status_code == 200
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"


def test_setting_it_up_opens_the_clinic(client, org_a, owner_a):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    require(org_a)
    login(client, owner_a, org_a)
    client.get("/accounts/two-factor/setup/")
    with acting_user(owner_a):
        device = TOTPDevice.objects.get(user=owner_a)
    client.post("/accounts/two-factor/setup/", {"code": f"{totp(device.bin_key):06d}"})
    assert client.get("/").status_code == 200


def test_an_owner_who_signed_in_with_a_code_goes_straight_in(client, org_a, owner_a):
    require(org_a)
    sign_in_with_code(client, owner_a)
    assert client.get("/").status_code == 200


def test_a_session_from_before_enrolling_elsewhere_is_asked_for_a_code(client, org_a, owner_a):
    require(org_a)
    login(client, owner_a, org_a)
    device = enrol(owner_a)  # in another browser
    response = client.get("/patients/")
    assert response["Location"] == "/accounts/login/verify/?next=%2Fpatients%2F"
    assert client.post(response["Location"], {"code": code_for(device)})["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200


def test_it_cannot_be_turned_off_while_the_clinic_requires_it(client, org_a, owner_a):
    device = enrol(owner_a)
    require(org_a)
    sign_in_with_code(client, owner_a, device=device)
    response = client.post("/accounts/two-factor/turn-off/", {"code": code_for(device)})
    assert response["Location"] == "/accounts/two-factor/"
    with acting_user(owner_a):
        assert device.__class__.objects.filter(pk=device.pk).exists()


def test_only_the_requiring_clinic_is_affected(client, org_a, org_b, owner_a):
    add_member(org_b, owner_a, Membership.Role.ADMIN)
    require(org_a)
    login(client, owner_a, org_b)
    assert client.get("/").status_code == 200


def test_the_session_api_needs_a_verified_session(client, org_a, owner_a):
    require(org_a)
    login(client, owner_a, org_a)
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "two_factor_required"


def test_api_keys_are_not_affected(org_a, api_a):
    require(org_a)
    assert api_a.get("me/").status_code == 200


def test_staff_use_the_session_api_as_before(client, org_a, staff_a):
    require(org_a)
    login(client, staff_a, org_a)
    assert client.get("/api/v1/me/").status_code == 200


# --- The settings page -------------------------------------------------------------


def test_an_owner_with_two_factor_requires_it(client, org_a, owner_a):
    sign_in_with_code(client, owner_a)
    response = client.post("/settings/security/", {"require_two_factor": "on"})
    assert response["Location"] == "/settings/security/"
    with tenant_context(org=org_a):
        assert SecuritySettings.objects.get().require_two_factor is True
        event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, object_type="accounts.SecuritySettings")
    assert event.changed_fields == ["require_two_factor"]
    assert event.actor_user_id == owner_a.pk


def test_an_owner_without_two_factor_cannot_require_it(client, org_a, owner_a):
    login(client, owner_a, org_a)
    response = client.post("/settings/security/", {"require_two_factor": "on"})
    assert response.status_code == 400
    assert "Set up two-factor sign-in for yourself first" in response.content.decode()
    with tenant_context(org=org_a):
        assert not SecuritySettings.objects.exists()


def test_an_admin_sees_the_setting_but_cannot_change_it(client, org_a, admin_a):
    login(client, admin_a, org_a)
    page = client.get("/settings/security/")
    assert "Only the clinic's owners can change this." in page.content.decode()
    sign_in_with_code(client, admin_a, org_a)
    response = client.post("/settings/security/", {"require_two_factor": "on"})
    assert response.status_code == 400
    with tenant_context(org=org_a):
        assert not SecuritySettings.objects.exists()


def test_staff_get_a_404(client, org_a, staff_a):
    login(client, staff_a, org_a)
    assert client.get("/settings/security/").status_code == 404


def test_the_setting_is_per_clinic(client, org_a, org_b, owner_a):
    require(org_b)
    login(client, owner_a, org_a)
    page = client.get("/settings/security/")
    assert page.context["stored"].require_two_factor is False
