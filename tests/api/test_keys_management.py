"""Creating and revoking API keys: the staff page for owners and admins, the admin,
`manage.py create_api_key`, and the demo clinics' keys."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clinic.api.models import ApiKey
from clinic.api.services import api_key_create
from tenancy.context import tenant_context
from tests.support.api import ApiClient, make_key
from tests.support.people import add_member, login

KEY = re.compile(r"ck_live_[A-Za-z0-9_-]{51}")


def keys_of(org) -> list[ApiKey]:
    with tenant_context(org=org):
        return list(ApiKey.objects.all())


# --- The staff page -----------------------------------------------------------------


def test_an_owner_creates_a_key_and_sees_it_once(client, owner_a, org_a):
    login(client, owner_a, org_a)
    response = client.post("/settings/api-keys/new/", {"name": "Booking site", "access": "read_only"})
    assert response.status_code == 200
    key = KEY.search(response.content.decode()).group()
    assert ApiClient(key).get("me/").json()["scopes"] == ["read"]
    (stored,) = keys_of(org_a)
    assert (stored.name, stored.scopes, stored.created_by) == ("Booking site", ["read"], owner_a)
    page = client.get("/settings/api-keys/").content.decode()
    assert stored.prefix in page and "Booking site" in page and "Read only" in page
    assert key not in page and not KEY.search(page)


def test_the_page_lists_last_use_and_revokes(client, owner_a, org_a):
    key = make_key(org_a, name="Old site")
    ApiClient(key).get("me/")
    login(client, owner_a, org_a)
    assert "Never" not in client.get("/settings/api-keys/").content.decode()
    (stored,) = keys_of(org_a)
    response = client.post(f"/settings/api-keys/{stored.pk}/revoke/")
    assert response.status_code == 302
    assert ApiClient(key).get("me/").status_code == 401
    assert "Revoked" in client.get("/settings/api-keys/").content.decode()


def test_a_name_is_required(client, owner_a, org_a):
    login(client, owner_a, org_a)
    response = client.post("/settings/api-keys/new/", {"name": "", "access": "read_write"})
    assert response.status_code == 400
    assert keys_of(org_a) == []


def test_staff_get_404_and_no_nav_link(client, staff_a, org_a):
    login(client, staff_a, org_a)
    assert client.get("/settings/api-keys/").status_code == 404
    assert client.post("/settings/api-keys/new/", {"name": "x", "access": "read_write"}).status_code == 404
    assert "API keys" not in client.get("/").content.decode()


def test_managers_get_the_nav_link(client, owner_a, org_a):
    login(client, owner_a, org_a)
    assert 'href="/settings/api-keys/"' in client.get("/").content.decode()


def test_another_clinics_key_cannot_be_revoked(client, owner_a, org_a, org_b):
    key_b = make_key(org_b)
    (theirs,) = keys_of(org_b)
    login(client, owner_a, org_a)
    assert client.post(f"/settings/api-keys/{theirs.pk}/revoke/").status_code == 404
    assert ApiClient(key_b).get("me/").status_code == 200


def test_an_admin_of_one_clinic_sees_only_its_keys(client, owner_a, org_a, org_b, owner_b):
    make_key(org_b, name="Their integration")
    add_member(org_b, owner_a, "admin")
    login(client, owner_a, org_a)
    assert "Their integration" not in client.get("/settings/api-keys/").content.decode()


# --- The admin ----------------------------------------------------------------------


def test_the_admin_creates_a_key_and_shows_it_once(admin_client, org_a):
    response = admin_client.post("/admin/api/apikey/add/", {"name": "Admin made", "read_only": "on"})
    assert response.status_code == 200
    key = KEY.search(response.content.decode()).group()
    (stored,) = keys_of(org_a)
    assert stored.scopes == ["read"] and ApiClient(key).get("me/").status_code == 200
    change = admin_client.get(f"/admin/api/apikey/{stored.pk}/change/").content.decode()
    assert stored.prefix in change and not KEY.search(change)
    assert not KEY.search(admin_client.get("/admin/api/apikey/").content.decode())


def test_the_admin_revokes_and_never_deletes(admin_client, org_a):
    key = make_key(org_a)
    (stored,) = keys_of(org_a)
    response = admin_client.post("/admin/api/apikey/", {"action": "revoke", "_selected_action": [stored.pk]})
    assert response.status_code == 302
    assert ApiClient(key).get("me/").status_code == 401
    assert admin_client.get(f"/admin/api/apikey/{stored.pk}/delete/").status_code == 403


# --- manage.py create_api_key ---------------------------------------------------------


def create(*args: str) -> str:
    out = io.StringIO()
    call_command("create_api_key", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_the_key_alone_on_its_last_line(org_a):
    out = create("--clinic", "clinic-a", "--name", "Practice system")
    key = out.splitlines()[-1]
    assert KEY.fullmatch(key)
    assert ApiClient(key).get("me/").json()["scopes"] == ["read", "write"]
    assert "Clinic A" in out


def test_the_command_makes_read_only_keys(org_a):
    key = create("--clinic", "clinic-a", "--name", "Reports", "--read-only").splitlines()[-1]
    assert ApiClient(key).get("me/").json()["scopes"] == ["read"]


def test_the_command_refuses_an_unknown_clinic(db):
    with pytest.raises(CommandError, match="No clinic with the slug 'nowhere'"):
        create("--clinic", "nowhere", "--name", "X")


def test_the_command_creates_the_key_in_the_named_clinic_only(org_a, org_b):
    create("--clinic", "clinic-b", "--name", "B's")
    assert [k.name for k in keys_of(org_b)] == ["B's"]
    assert keys_of(org_a) == []


def test_the_slug_lookup_returns_the_id_and_nothing_else(org_a):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT tenancy_organization_id_for_slug('clinic-a')")
        assert cursor.fetchone() == (org_a.id,)
        cursor.execute("SELECT count(*) FROM tenancy_organization")  # still nothing visible
        assert cursor.fetchone()[0] == 0


def test_created_keys_are_unique_per_call(org_a):
    with tenant_context(org=org_a):
        keys = {api_key_create(name=f"k{n}")[1] for n in range(5)}
    assert len(keys) == 5
