"""Who may call the API: a clinic's API key (found through the one pre-tenant lookup),
or a signed-in member of the clinic; everyone else gets the same 401."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from clinic.api.keys import hash_key, lookup
from clinic.api.models import ApiKey
from clinic.api.services import api_key_create, api_key_revoke
from tenancy.context import tenant_context
from tenancy.session import SESSION_ORG_KEY
from tests.support.api import ApiClient, make_key
from tests.support.people import login

INVALID = {"error": {"code": "invalid_api_key", "message": "The API key is not valid.", "fields": {}}}


def test_a_key_answers_for_its_own_clinic(api_a, org_a):
    response = api_a.get("me/")
    assert response.status_code == 200
    body = response.json()
    assert body["clinic"] == {"id": str(org_a.id), "name": "Clinic A", "timezone": "Europe/Berlin"}
    assert body["scopes"] == ["read", "write"]
    assert body["key"]["name"] == "Integration" and body["key"]["prefix"].startswith("ck_live_")


def test_a_read_only_key_reads_but_cannot_write(api_a_read_only, people_a):
    assert api_a_read_only.get("me/").json()["scopes"] == ["read"]
    assert api_a_read_only.get("patients/").status_code == 200
    response = api_a_read_only.post(
        "patients/", {"first_name": "R", "last_name": "O", "date_of_birth": "1990-01-01", "phone": "+14155550999"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert api_a_read_only.post(f"appointments/{people_a.jane.pk}/cancel/").status_code == 403


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ck_live_" + "A" * 51,  # well-formed, unknown
        "Bearer ck_live_short",  # malformed
        "Bearer not-a-key-at-all",
        "Bearer ck_live_" + "A" * 51 + " extra",
        "Bearer",
        "Bearer ck_live_\u00e9" + "A" * 50,
    ],
)
def test_unknown_and_malformed_keys_get_the_same_401(db, header):
    response = Client().get("/api/v1/me/", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json() == INVALID
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_revoked_key_gets_the_same_401_as_an_unknown_one(org_a):
    with tenant_context(org=org_a):
        api_key, key = api_key_create(name="Old")
    assert ApiClient(key).get("me/").status_code == 200
    with tenant_context(org=org_a):
        api_key_revoke(api_key=api_key)
    response = ApiClient(key).get("me/")
    assert response.status_code == 401
    assert response.json() == INVALID


def test_no_key_asks_for_one(db):
    response = Client().get("/api/v1/patients/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert "Bearer" in response.json()["error"]["message"]


def test_only_the_hash_and_a_short_prefix_are_stored(org_a):
    with tenant_context(org=org_a):
        api_key, key = api_key_create(name="Site")
        stored = ApiKey.objects.get(pk=api_key.pk)
    assert key.startswith("ck_live_") and len(key) == 59
    assert stored.hash == hash_key(key)
    assert key.startswith(stored.prefix) and len(stored.prefix) == 16
    assert key not in str(ApiKey.objects.none().values())
    assert all(key not in str(value) for value in vars(stored).values())


def test_last_used_is_recorded(org_a, key_a, api_a):
    api_a.get("me/")
    with tenant_context(org=org_a):
        assert ApiKey.objects.get().last_used_at is not None


# --- The pre-tenant lookup ----------------------------------------------------------


def test_the_lookup_maps_a_hash_to_the_key_and_nothing_else(org_a, key_a):
    found = lookup(hash_key(key_a))
    with tenant_context(org=org_a):
        api_key = ApiKey.objects.get()
    assert (found.key_id, found.organization_id, found.scopes, found.revoked) == (
        api_key.pk,
        org_a.id,
        ("read", "write"),
        False,
    )
    assert lookup(hash_key("ck_live_" + "B" * 51)) is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_key_lookup(%s)", [hash_key(key_a)])
        assert [column.name for column in cursor.description] == ["key_id", "organization_id", "scopes", "revoked"]


def test_the_runtime_role_cannot_read_keys_without_a_tenant(org_a, key_a):
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.pre_tenant_lookup', 'on', false)")
        try:
            cursor.execute("SELECT count(*) FROM api_apikey")
            assert cursor.fetchone()[0] == 0, "the lookup policy is the owner role's, not the runtime role's"
        finally:
            cursor.execute("SELECT set_config('app.pre_tenant_lookup', '', false)")
        # And the lookup leaves no setting behind.
        cursor.execute("SELECT * FROM api_key_lookup(%s)", [hash_key(key_a)])
        cursor.execute("SELECT current_setting('app.pre_tenant_lookup', true)")
        assert cursor.fetchone()[0] in ("", None)


def test_the_lookup_function_is_narrow_and_guarded(db):
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT p.prosecdef, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE')
               FROM pg_proc p WHERE p.proname = 'api_key_lookup'"""
        )
        definer, config, public = cursor.fetchone()
    assert definer is True
    assert any(item.startswith("search_path=") for item in config)
    assert public is False


def test_keys_of_two_clinics_each_answer_for_their_own(api_a, api_b, org_a, org_b):
    assert api_a.get("me/").json()["clinic"]["id"] == str(org_a.id)
    assert api_b.get("me/").json()["clinic"]["id"] == str(org_b.id)


# --- Signed-in staff ------------------------------------------------------------------


def test_signed_in_staff_use_the_api_in_their_active_clinic(client, staff_a, org_a, people_a):
    login(client, staff_a, org_a)
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["clinic"]["id"] == str(org_a.id)
    assert response.json()["key"] is None
    assert client.get("/api/v1/patients/").json()["results"][0]["first_name"] == "Jane"


def test_session_writes_need_the_csrf_token(staff_a, org_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_a)
    session = client.session
    session[SESSION_ORG_KEY] = str(org_a.id)
    session.save()
    data = {"first_name": "Csrf", "last_name": "Test", "date_of_birth": "1990-01-01", "phone": "+14155550777"}
    response = ApiClient(client=client).post("patients/", data)
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    client.get("/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = ApiClient(client=client).post("patients/", data, **{"X-CSRFToken": token})
    assert response.status_code == 201, response.json()


def test_staff_cannot_change_providers_but_a_write_key_can(client, staff_a, org_a, api_a):
    login(client, staff_a, org_a)
    data = {"name": "New Doctor"}
    assert ApiClient(client=client).post("providers/", data).status_code == 403
    assert api_a.post("providers/", data).status_code == 201


def test_a_signed_in_user_without_a_clinic_is_not_authenticated(client, outsider, org_a):
    login(client, outsider)
    assert client.get("/api/v1/me/").status_code == 401


def test_a_bearer_key_of_another_clinic_wins_over_nothing_else(client, staff_a, org_a, org_b):
    # A session of clinic A plus a key of clinic B: the key decides.
    login(client, staff_a, org_a)
    key_b = make_key(org_b)
    response = ApiClient(key_b, client=client).get("me/")
    assert response.json()["clinic"]["id"] == str(org_b.id)


def test_a_proxys_basic_auth_leaves_the_staff_pages_alone(client, staff_a, org_a):
    login(client, staff_a, org_a)
    response = client.get("/patients/", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 200
