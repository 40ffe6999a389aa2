"""Brute-force protection on sign-in: wrong passwords lock a user at the address they
came from (not their colleagues behind it), and many failures from one address lock
the address, on the staff login and the admin's login alike."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command

from clinic.audit.models import AuditEvent
from tenancy.context import tenant_context
from tests.support.people import PASSWORD, make_user
from tests.support.two_factor import force_login_verified

LIMIT, ADDRESS_LIMIT = 5, 50
STAFF_LOGIN, ADMIN_LOGIN = "/accounts/login/", "/admin/login/"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = ADDRESS_LIMIT
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)


def attempt(client, path: str, username: str, password: str, ip: str = "198.51.100.7", **headers):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip, **headers)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_forty_wrong_passwords_then_the_right_one_does_not_sign_in(client, org_a, owner_a):
    owner_a.is_staff = True
    owner_a.save()
    for _ in range(40):
        attempt(client, STAFF_LOGIN, owner_a.username, "wrong-guess")
    response = attempt(client, STAFF_LOGIN, owner_a.username, PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)


def test_the_admin_login_takes_no_password_it_hands_over_to_the_guarded_sign_in(client, org_a, owner_a):
    """The admin's own password form would skip the second factor and the lockout:
    /admin/login/ signs no one in and sends them to the staff sign-in."""
    owner_a.is_staff = True
    owner_a.save()
    response = attempt(client, ADMIN_LOGIN, owner_a.username, PASSWORD)
    assert response.status_code == 302 and response["Location"].startswith(STAFF_LOGIN)
    assert not signed_in(client)


def test_the_lockout_starts_at_the_limit_with_a_clear_page(client, staff_a):
    path = STAFF_LOGIN
    for _ in range(LIMIT - 1):
        assert attempt(client, path, staff_a.username, "wrong").status_code == 200
    response = attempt(client, path, staff_a.username, "wrong")
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    body = response.content.decode()
    assert "<h1>Too many sign-in attempts</h1>" in body
    assert "paused for 15 minutes" in body
    assert "/static/css/clinic.css" in body  # our own page, in the layout
    assert "Traceback" not in body


def test_fewer_failures_than_the_limit_still_let_the_user_in(client, org_a, staff_a):
    for _ in range(LIMIT - 1):
        attempt(client, STAFF_LOGIN, staff_a.username, "wrong")
    assert attempt(client, STAFF_LOGIN, staff_a.username, PASSWORD).status_code == 302
    assert signed_in(client)


def test_one_users_failures_do_not_lock_a_colleague_at_the_same_address(client, org_a, staff_a, owner_a):
    """A front desk behind one shared address: one person's typos are theirs alone."""
    for _ in range(LIMIT):
        attempt(client, STAFF_LOGIN, staff_a.username, "wrong")
    assert attempt(client, STAFF_LOGIN, staff_a.username, PASSWORD).status_code == 429
    assert attempt(client, STAFF_LOGIN, owner_a.username, PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_user_locked_at_one_address_still_signs_in_from_another(client, org_a, staff_a):
    for _ in range(LIMIT):
        attempt(client, STAFF_LOGIN, staff_a.username, "wrong")
    assert attempt(client, STAFF_LOGIN, staff_a.username, PASSWORD, ip="203.0.113.50").status_code == 302


def test_an_address_guessing_many_usernames_is_locked_at_the_address_limit(client, org_a, staff_a):
    for number in range(ADDRESS_LIMIT - 1):
        assert attempt(client, STAFF_LOGIN, f"someone-{number}", "wrong").status_code == 200
    # One short of the limit, a real user at that address still gets in.
    assert attempt(client, STAFF_LOGIN, staff_a.username, PASSWORD).status_code == 302
    client.post("/accounts/logout/", REMOTE_ADDR="198.51.100.7")
    locking = attempt(client, STAFF_LOGIN, "someone-last", "wrong")
    assert locking.status_code == 429 and locking["Retry-After"] == str(15 * 60)
    response = attempt(client, STAFF_LOGIN, staff_a.username, PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    # Another address is not concerned.
    assert attempt(client, STAFF_LOGIN, staff_a.username, PASSWORD, ip="203.0.113.50").status_code == 302


def test_the_address_limit_follows_its_setting(client, staff_a, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for number in range(2):
        assert attempt(client, STAFF_LOGIN, f"someone-{number}", "wrong").status_code == 200
    assert attempt(client, STAFF_LOGIN, "someone-else", "wrong").status_code == 429


def test_failures_by_email_count_against_the_same_user(client, org_a, staff_a):
    for _ in range(LIMIT - 2):
        attempt(client, STAFF_LOGIN, staff_a.username, "wrong")
    attempt(client, STAFF_LOGIN, staff_a.email.upper(), "wrong")
    locking = attempt(client, STAFF_LOGIN, staff_a.email, "wrong")
    assert locking.status_code == 429
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {staff_a.username}
    assert attempt(client, STAFF_LOGIN, staff_a.email, PASSWORD).status_code == 429
    assert attempt(client, STAFF_LOGIN, staff_a.username, PASSWORD).status_code == 429
    assert not signed_in(client)


def page_text(response) -> str:
    # The CSRF token differs on every page; nothing else may.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_a_known_and_an_unknown_username_get_the_same_answers(client, staff_a):
    known = [attempt(client, STAFF_LOGIN, staff_a.username, "wrong") for _ in range(LIMIT + 1)]
    unknown = [attempt(client, STAFF_LOGIN, "nobody-here", "wrong", ip="198.51.100.8") for _ in range(LIMIT + 1)]
    for ours, theirs in zip(known, unknown, strict=True):
        assert ours.status_code == theirs.status_code
        assert ours.get("Retry-After") == theirs.get("Retry-After")
    assert [r.status_code for r in known] == [200] * (LIMIT - 1) + [429, 429]
    assert page_text(known[0]).replace(staff_a.username, "nobody-here") == page_text(unknown[0])
    assert page_text(known[-1]) == page_text(unknown[-1])


def test_a_known_and_an_unknown_email_get_the_same_answers(client, staff_a):
    known = attempt(client, STAFF_LOGIN, staff_a.email, "wrong")
    unknown = attempt(client, STAFF_LOGIN, "nobody@example.test", "wrong", ip="198.51.100.8")
    assert known.status_code == unknown.status_code == 200
    assert page_text(known).replace(staff_a.email, "nobody@example.test") == page_text(unknown)


def test_other_users_at_other_addresses_are_not_affected(client, org_a, staff_a, owner_a):
    for _ in range(LIMIT):
        attempt(client, STAFF_LOGIN, staff_a.username, "wrong")
    assert attempt(client, STAFF_LOGIN, owner_a.username, PASSWORD, ip="203.0.113.9").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, org_a, staff_a):
    for _ in range(LIMIT):
        attempt(client, STAFF_LOGIN, staff_a.username, "wrong")
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    assert attempt(client, STAFF_LOGIN, staff_a.username, PASSWORD).status_code == 302


def test_the_limit_and_cool_off_follow_the_settings(client, staff_a, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=1)
    attempt(client, STAFF_LOGIN, staff_a.username, "wrong")
    response = attempt(client, STAFF_LOGIN, staff_a.username, "wrong")
    assert response.status_code == 429
    assert "paused for 1 minute." in response.content.decode()


def test_an_operator_unlocks_a_username_with_a_command(client, org_a, staff_a):
    for _ in range(LIMIT):
        attempt(client, STAFF_LOGIN, staff_a.username, "wrong")
    assert attempt(client, STAFF_LOGIN, staff_a.username, PASSWORD).status_code == 429
    call_command("axes_reset_username", staff_a.username, verbosity=0)
    assert attempt(client, STAFF_LOGIN, staff_a.username, PASSWORD).status_code == 302


def test_a_platform_superuser_unlocks_in_the_admin(client, staff_a):
    for number in range(LIMIT):
        attempt(client, STAFF_LOGIN, staff_a.username, "wrong", ip=f"198.51.100.{number + 1}")
    boss = make_user("platform_boss", is_staff=True, is_superuser=True)
    force_login_verified(client, boss)
    changelist = client.get("/admin/axes/accessattempt/")
    assert changelist.status_code == 200
    assert staff_a.username in changelist.content.decode()
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    response = client.post(
        "/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()


def test_clinic_admins_do_not_see_the_platforms_sign_in_failures(client, org_a, owner_a):
    from tenancy.session import SESSION_ORG_KEY

    owner_a.is_staff = True
    owner_a.save()
    force_login_verified(client, owner_a)
    session = client.session
    session[SESSION_ORG_KEY] = str(org_a.id)
    session.save()
    assert client.get("/admin/axes/accessattempt/").status_code == 403


def test_behind_the_proxy_the_address_the_proxy_appended_counts(client, org_a, staff_a, settings):
    settings.CLIENT_IP_FROM_X_FORWARDED_FOR = True
    for number in range(LIMIT):
        # The client forges the first entry each time; the proxy's own entry stays.
        forwarded = f"10.0.0.{number}, 192.0.2.44"
        attempt(client, STAFF_LOGIN, staff_a.username, "wrong", ip="10.1.1.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.44"}
    locked = attempt(client, STAFF_LOGIN, staff_a.username, PASSWORD, ip="10.1.1.1", HTTP_X_FORWARDED_FOR="192.0.2.44")
    assert locked.status_code == 429
    # Another client behind the same proxy is someone else.
    other = attempt(client, STAFF_LOGIN, staff_a.username, PASSWORD, ip="10.1.1.1", HTTP_X_FORWARDED_FOR="192.0.2.45")
    assert other.status_code == 302


def test_without_the_proxy_setting_a_forwarded_header_is_ignored(client, staff_a, settings):
    settings.CLIENT_IP_FROM_X_FORWARDED_FOR = False
    attempt(client, STAFF_LOGIN, staff_a.username, "wrong", ip="198.51.100.7", HTTP_X_FORWARDED_FOR="192.0.2.44")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.7"]


def test_each_failure_and_the_lockout_are_logged(client, staff_a, caplog):
    with caplog.at_level(logging.INFO, logger="axes"):
        for _ in range(LIMIT):
            attempt(client, STAFF_LOGIN, staff_a.username, "wrong")
    failures = [r for r in caplog.records if "login failure by" in r.getMessage()]
    assert len(failures) == LIMIT
    assert any("Locking out" in r.getMessage() for r in caplog.records)
    # The address is logged; what was typed as a username is not (it may be a password).
    assert "198.51.100.7" in caplog.text
    assert staff_a.username not in caplog.text


def test_each_refused_attempt_is_in_the_audit_trail_of_the_users_clinics(client, org_a, org_b, staff_a):
    for _ in range(LIMIT + 2):
        attempt(client, STAFF_LOGIN, staff_a.username, "wrong")
    attempt(client, STAFF_LOGIN, staff_a.username, PASSWORD)
    with tenant_context(org=org_a):
        failed = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED, object_id=staff_a.pk).count()
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).exists()
    assert failed == LIMIT + 3
    with tenant_context(org=org_b):
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).exists()
