"""SQL injection as the runtime role, against accounts: no password hash to read or
overwrite, no platform role to take, no second factor or recovery code of anyone
else's, no session to read or replay. Raw SQL in the transaction a staff member's
request would have (their own clinic and user, proven), or in none at all."""

from __future__ import annotations

import uuid
from contextlib import nullcontext

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.accounts.session_store import SessionStore, stored_key
from tenancy.context import acting_user, granted, tenant_context
from tests.support.people import PASSWORD, login, make_user
from tests.support.two_factor import enrol

PHI = "Ahmed 1961-12-20"


def sql(statement: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else [(cursor.rowcount,)]


@pytest.fixture
def in_staff_request(org_a, staff_a):
    """The transaction of one of staff_a's requests at clinic A, tenant proven."""
    with tenant_context(org=org_a, user=staff_a):
        yield


def attacker_context(kind: str, org, user):
    """No tenant at all (an anonymous page), or a staff member's own request."""
    return tenant_context(org=org, user=user) if kind == "staff" else nullcontext()


def test_the_stored_password_is_no_hash_anyone_could_crack(owner_a):
    (stored,) = sql("SELECT password FROM accounts_user WHERE id = %s", [owner_a.pk])[0]
    assert stored.startswith("sealed$")
    assert "md5$" not in stored and "pbkdf2" not in stored


@pytest.mark.parametrize("kind", ["none", "staff"])
def test_no_one_overwrites_another_users_password_or_email(kind, owner_a, staff_a, org_a):
    with attacker_context(kind, org_a, staff_a):
        (own_hash,) = sql("SELECT password FROM accounts_user WHERE id = %s", [staff_a.pk])[0]
        assert sql("UPDATE accounts_user SET password = %s WHERE id = %s", [own_hash, owner_a.pk]) == [(0,)]
        assert sql("UPDATE accounts_user SET email = 'mallory@example.test' WHERE id = %s", [owner_a.pk]) == [(0,)]
        assert sql("DELETE FROM accounts_user WHERE id = %s", [owner_a.pk]) == [(0,)]
    owner_a.refresh_from_db()
    assert owner_a.email == "olivia_owner_a@example.test"
    assert owner_a.check_password(PASSWORD)


def test_a_hash_copied_from_another_row_opens_nothing(owner_a, staff_a):
    """Even past the policies (a restored backup, the owner role), a sealed hash names
    the user it was sealed for: the staff member's password does not open the owner."""
    owner_a.password = staff_a.password
    assert not owner_a.check_password(PASSWORD)
    assert staff_a.check_password(PASSWORD)


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff"])
def test_no_one_makes_themselves_superuser_or_staff(in_staff_request, staff_a, flag):
    with pytest.raises(DatabaseError, match="platform roles"), transaction.atomic():
        sql(f"UPDATE accounts_user SET {flag} = true WHERE id = %s", [staff_a.pk])  # their own row


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff"])
def test_no_one_adds_a_superuser_or_staff_user(db, flag):
    flags = {"is_superuser": False, "is_staff": False, flag: True}
    with pytest.raises(DatabaseError, match="platform roles"), transaction.atomic():
        sql(
            "INSERT INTO accounts_user (id, password, username, first_name, last_name, email, is_active, date_joined,"
            " email_pending_verification, is_superuser, is_staff)"
            " VALUES (%s, '!', 'mallory', '', '', 'm@example.test', true, now(), false, %s, %s)",
            [uuid.uuid4(), flags["is_superuser"], flags["is_staff"]],
        )


def test_a_grant_set_by_sql_is_no_grant(in_staff_request, staff_a):
    sql("SELECT set_config('app.grant', 'platform_roles', true), set_config('app.grant_proof', %s, true)", ["0" * 64])
    with pytest.raises(DatabaseError, match="platform roles"), transaction.atomic():
        sql("UPDATE accounts_user SET is_superuser = true WHERE id = %s", [staff_a.pk])


def test_a_grant_ends_with_its_block(in_staff_request, staff_a):
    with granted("platform_roles"):
        assert sql("SELECT tenancy_proven_grant()") == [("platform_roles",)]
    assert sql("SELECT tenancy_proven_grant()") == [(None,)]
    with pytest.raises(DatabaseError, match="platform roles"), transaction.atomic():
        sql("UPDATE accounts_user SET is_staff = true WHERE id = %s", [staff_a.pk])


def test_the_app_still_grants_platform_roles_through_its_own_save(outsider):
    outsider.is_staff = True
    outsider.save()
    outsider.refresh_from_db()
    assert outsider.is_staff


@pytest.mark.parametrize("kind", ["none", "staff"])
def test_no_one_reads_or_removes_another_users_second_factor(kind, owner_a, staff_a, org_a):
    enrol(owner_a, with_recovery_codes=True)
    with attacker_context(kind, org_a, staff_a):
        assert sql("SELECT key FROM otp_totp_totpdevice WHERE user_id = %s", [owner_a.pk]) == []
        assert sql("SELECT token FROM otp_static_statictoken") == []
        assert sql("DELETE FROM otp_totp_totpdevice") == [(0,)]
        assert sql("UPDATE otp_totp_totpdevice SET user_id = %s", [staff_a.pk]) == [(0,)]
    with acting_user(owner_a):
        assert TOTPDevice.objects.filter(user=owner_a).count() == 1


def test_no_one_adds_a_second_factor_to_another_user(in_staff_request, owner_a):
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        sql(
            "INSERT INTO otp_totp_totpdevice (user_id, name, confirmed, key, step, t0, digits, tolerance, drift,"
            " last_t, throttling_failure_count) VALUES (%s, 'x', true, '00', 30, 0, 6, 1, 0, -1, 0)",
            [owner_a.pk],
        )


def test_a_user_sees_their_own_second_factor(staff_a, org_a):
    enrol(staff_a)
    with tenant_context(org=org_a, user=staff_a):
        assert len(sql("SELECT key FROM otp_totp_totpdevice")) == 1


def test_session_data_is_unreadable_in_the_table(db):
    session = SessionStore()
    session["search"] = PHI
    session.create()
    (data,) = sql("SELECT session_data FROM django_session WHERE session_key = %s", [stored_key(session.session_key)])[
        0
    ]
    assert "Ahmed" not in data
    assert SessionStore(session.session_key).load()["search"] == PHI


def test_a_session_copied_under_another_key_signs_no_one_in(client, org_a, owner_a):
    """The attacker's own session row gets the owner's session data: their cookie is
    then anonymous, not the owner's."""
    login(client, owner_a, org_a)
    victim_key = client.cookies["sessionid"].value
    attacker = SessionStore()
    attacker.create()
    copied = sql(
        "UPDATE django_session SET session_data = (SELECT session_data FROM django_session WHERE session_key = %s)"
        " WHERE session_key = %s",
        [stored_key(victim_key), stored_key(attacker.session_key)],
    )
    assert copied == [(1,)]
    assert SessionStore(attacker.session_key).load() == {}
    client.cookies["sessionid"] = attacker.session_key
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_signing_in_still_works_end_to_end(client, db):
    user = make_user("fresh_user")
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    user.refresh_from_db()
    assert user.last_login is not None
    assert get_user_model().objects.get(pk=user.pk).check_password(PASSWORD)
