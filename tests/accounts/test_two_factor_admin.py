"""/admin/ needs a session that passed a second factor, whatever the clinic requires;
its own password form is never used. An operator removes a lost phone's devices with
`manage.py two_factor_reset`, recorded in the user's clinics."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.audit.models import AuditEvent
from tenancy.context import acting_user, tenant_context
from tests.support.people import PASSWORD, login
from tests.support.two_factor import code_for, enrol, sign_in_with_code


@pytest.fixture
def staff_owner(owner_a):
    owner_a.is_staff = True
    owner_a.save()
    return owner_a


def test_a_staff_user_without_two_factor_is_told_to_set_it_up(client, org_a, staff_owner):
    login(client, staff_owner, org_a)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/two-factor/setup/"
    assert "The admin needs two-factor sign-in" in response.content.decode()


def test_a_verified_session_opens_the_admin(client, org_a, staff_owner):
    sign_in_with_code(client, staff_owner, org_a)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert response.context["app_list"]


def test_a_session_not_verified_is_asked_for_a_code_first(client, org_a, staff_owner):
    login(client, staff_owner, org_a)
    device = enrol(staff_owner)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/verify/?next=%2Fadmin%2F"
    assert client.post(response.redirect_chain[-1][0], {"code": code_for(device)})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_password_form_is_never_shown(client, org_a, staff_owner):
    enrol(staff_owner)
    assert client.get("/admin/login/")["Location"] == "/accounts/login/?next=/admin/"
    # Posting to it signs nobody in either: it hands over like a GET.
    client.post("/admin/login/", {"username": staff_owner.username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_a_user_who_is_not_staff_gets_a_403_from_the_admin_login(client, org_a, owner_a):
    sign_in_with_code(client, owner_a, org_a)
    assert client.get("/admin/login/").status_code == 403


def test_the_reset_command_removes_every_device_and_is_recorded(org_a, staff_a, capsys):
    enrol(staff_a, with_recovery_codes=True)
    call_command("two_factor_reset", staff_a.username)
    assert "Removed two-factor sign-in of sam_staff_a" in capsys.readouterr().out
    with acting_user(staff_a):
        assert not TOTPDevice.objects.filter(user=staff_a).exists()
    with acting_user(staff_a):
        assert not StaticDevice.objects.filter(user=staff_a).exists()
    with tenant_context(org=org_a):
        event = AuditEvent.objects.get(action=AuditEvent.Action.TWO_FACTOR_RESET)
    assert event.actor_type == AuditEvent.Actor.SYSTEM
    assert event.actor_label == "manage.py two_factor_reset"
    assert event.object_id == staff_a.pk


def test_the_reset_command_is_recorded_in_no_other_clinic(org_a, org_b, staff_a):
    enrol(staff_a)
    call_command("two_factor_reset", staff_a.username)
    with tenant_context(org=org_b):
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.TWO_FACTOR_RESET).exists()


def test_the_reset_command_names_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named"):
        call_command("two_factor_reset", "nobody")


def test_after_a_reset_the_password_alone_signs_in(client, org_a, staff_a):
    enrol(staff_a)
    call_command("two_factor_reset", staff_a.username)
    login(client, staff_a)
    assert client.session["_auth_user_id"] == str(staff_a.pk)


def test_a_superuser_removes_a_users_two_factor_in_the_admin(
    client, org_a, staff_a, django_capture_on_commit_callbacks
):
    from tenancy.models import Membership
    from tests.support.people import add_member, make_user

    boss = make_user("platform_boss", is_staff=True, is_superuser=True)
    add_member(org_a, boss, Membership.Role.ADMIN)
    sign_in_with_code(client, boss, org_a)
    enrol(staff_a, with_recovery_codes=True)
    # Recorded once the admin's request has committed (it acts as the superuser).
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/accounts/user/", {"action": "remove_two_factor", "_selected_action": [str(staff_a.pk)]}
        )
    assert response.status_code == 302
    with acting_user(staff_a):
        assert not TOTPDevice.objects.filter(user=staff_a).exists()
    with acting_user(staff_a):
        assert not StaticDevice.objects.filter(user=staff_a).exists()
    with tenant_context(org=org_a):
        event = AuditEvent.objects.get(action=AuditEvent.Action.TWO_FACTOR_RESET)
    assert event.actor_user_id == boss.pk
    assert event.object_id == staff_a.pk


def test_django_otps_device_admins_are_not_offered(client, org_a):
    from django.contrib import admin

    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(StaticDevice)
