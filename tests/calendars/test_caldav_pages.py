"""The CalDAV part of the Calendar connections page: connecting a provider's calendar
(the password never shown again), reconnecting and removing, who may see and change
which connection, and a broken connection told to the clinic."""

from __future__ import annotations

import pytest

from clinic.calendars.caldav import credentials
from clinic.calendars.models import CalDAVConnection
from tenancy.context import tenant_context
from tests.support import factories
from tests.support.people import add_member, login, make_user

pytestmark = pytest.mark.django_db

URL = "https://dav.example.org/calendars/ada/clinic/"
SECRET = "s3cret-app-password"


def connect_form(provider, **fields) -> dict:
    data = {"provider": str(provider.pk), "url": URL, "username": "ada", "password": SECRET, "privacy": "type"}
    data.update(fields)
    return {f"caldav-{name}": value for name, value in data.items()}


def connections_of(org) -> list[CalDAVConnection]:
    with tenant_context(org=org):
        return list(CalDAVConnection.objects.select_related("provider", "created_by"))


def make_connection(org, user, **fields) -> CalDAVConnection:
    with tenant_context(org=org):
        return factories.caldav_connection(created_by=user, **fields)


def test_a_member_connects_a_providers_calendar_and_never_sees_the_password_again(
    client, staff_a, org_a, people_a, django_capture_on_commit_callbacks
):
    login(client, staff_a, org_a)
    with django_capture_on_commit_callbacks() as deferred:
        response = client.post("/calendars/caldav/new/", connect_form(people_a.ada, privacy="initials"))
    assert response.status_code == 302
    assert len(deferred) == 1  # the first sync of the calendar, once the connection is saved
    (connection,) = connections_of(org_a)
    assert (connection.provider, connection.url, connection.username) == (people_a.ada, URL, "ada")
    assert (connection.privacy, connection.status, connection.created_by) == ("initials", "ok", staff_a)
    assert SECRET not in connection.password_encrypted
    assert credentials.decrypt(connection.password_encrypted) == SECRET
    page = client.get("/calendars/").content.decode()
    assert 'data-testid="caldav-row"' in page and URL in page and "Dr Ada Lovelace" in page
    assert SECRET not in page and connection.password_encrypted not in page


def test_the_form_names_what_is_wrong_and_never_echoes_the_password(client, staff_a, org_a, people_a, settings):
    settings.CALDAV_ALLOW_HTTP = False
    login(client, staff_a, org_a)
    response = client.post("/calendars/caldav/new/", connect_form(people_a.ada, url="http://dav.example.org/c/"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Use https://" in page and SECRET not in page
    for url, message in [
        ("ftp://dav.example.org/c/", "calendar&#x27;s https:// URL"),
        ("https://ada:pw@dav.example.org/c/", "Leave the user name and password out of the URL"),
    ]:
        page = client.post("/calendars/caldav/new/", connect_form(people_a.ada, url=url)).content.decode()
        assert message in page and SECRET not in page
    assert client.post("/calendars/caldav/new/", connect_form(people_a.ada, password="")).status_code == 400
    assert connections_of(org_a) == []


def test_the_same_calendar_twice_for_one_provider_is_refused(client, staff_a, org_a, people_a):
    login(client, staff_a, org_a)
    assert client.post("/calendars/caldav/new/", connect_form(people_a.ada)).status_code == 302
    response = client.post("/calendars/caldav/new/", connect_form(people_a.ada))
    assert response.status_code == 400 and "connected to this provider already" in response.content.decode()


def test_a_clinic_that_forbids_patient_details_refuses_them(client, owner_a, staff_a, org_a, people_a):
    login(client, owner_a, org_a)
    assert client.post("/calendars/settings/", {}).status_code == 302
    login(client, staff_a, org_a)
    assert client.post("/calendars/caldav/new/", connect_form(people_a.ada, privacy="names")).status_code == 400
    assert connections_of(org_a) == []


def test_another_clinics_provider_cannot_be_chosen(client, staff_a, org_a, people_b):
    login(client, staff_a, org_a)
    assert client.post("/calendars/caldav/new/", connect_form(people_b.ada)).status_code == 400
    assert connections_of(org_a) == []


def test_a_broken_connection_is_told_on_the_page_and_reconnecting_clears_it(
    client, staff_a, org_a, people_a, django_capture_on_commit_callbacks
):
    connection = make_connection(org_a, staff_a, provider=people_a.ada)
    with tenant_context(org=org_a):
        CalDAVConnection.objects.filter(pk=connection.pk).update(
            status="broken",
            last_error="HTTP 401: the calendar server refused the user name or password.",
            consecutive_failures=1,
        )
    login(client, staff_a, org_a)
    page = client.get("/calendars/").content.decode()
    assert 'data-testid="caldav-broken"' in page and "the calendar of Dr Ada Lovelace" in page
    assert "HTTP 401" in page

    form = client.get(f"/calendars/caldav/{connection.pk}/reconnect/").content.decode()
    assert 'type="password"' in form and "app-password" not in form
    assert client.post(f"/calendars/caldav/{connection.pk}/reconnect/", {"username": "ada"}).status_code == 400
    with django_capture_on_commit_callbacks() as deferred:
        response = client.post(
            f"/calendars/caldav/{connection.pk}/reconnect/", {"username": "ada", "password": "new-password"}
        )
    assert response.status_code == 302 and len(deferred) == 1
    (connection,) = connections_of(org_a)
    assert (connection.status, connection.last_error, connection.consecutive_failures) == ("ok", "", 0)
    assert credentials.decrypt(connection.password_encrypted) == "new-password"
    assert 'data-testid="caldav-broken"' not in client.get("/calendars/").content.decode()


def test_members_see_and_change_only_their_own_connections(client, owner_a, staff_a, org_a, people_a):
    owners = make_connection(org_a, owner_a, provider=people_a.ada)
    mine = make_connection(org_a, staff_a, provider=people_a.grace)
    login(client, staff_a, org_a)
    page = client.get("/calendars/").content.decode()
    assert page.count('data-testid="caldav-row"') == 1 and "Dr Grace Hopper" in page
    assert client.get(f"/calendars/caldav/{owners.pk}/reconnect/").status_code == 404
    assert client.post(f"/calendars/caldav/{owners.pk}/delete/").status_code == 404
    assert client.post(f"/calendars/caldav/{mine.pk}/delete/").status_code == 302
    assert [c.pk for c in connections_of(org_a)] == [owners.pk]


def test_owners_and_admins_see_and_remove_every_connection(client, owner_a, staff_a, org_a, people_a):
    staffs = make_connection(org_a, staff_a, provider=people_a.ada)
    admin = make_user("adam_admin_a")
    add_member(org_a, admin, "admin")
    login(client, admin, org_a)
    page = client.get("/calendars/").content.decode()
    assert page.count('data-testid="caldav-row"') == 1 and "Sam Staff" in page
    assert client.get(f"/calendars/caldav/{staffs.pk}/reconnect/").status_code == 200
    assert client.post(f"/calendars/caldav/{staffs.pk}/delete/").status_code == 302
    assert connections_of(org_a) == []


def test_another_clinics_staff_cannot_list_reconnect_or_remove_a_connection(
    client, owner_a, org_a, people_a, owner_b, org_b
):
    connection = make_connection(org_a, owner_a, provider=people_a.ada)
    login(client, owner_b, org_b)
    assert 'data-testid="caldav-row"' not in client.get("/calendars/").content.decode()
    assert client.get(f"/calendars/caldav/{connection.pk}/reconnect/").status_code == 404
    data = {"username": "x", "password": "y"}
    assert client.post(f"/calendars/caldav/{connection.pk}/reconnect/", data).status_code == 404
    assert client.post(f"/calendars/caldav/{connection.pk}/delete/").status_code == 404
    (kept,) = connections_of(org_a)
    assert kept.username == "ada" and credentials.decrypt(kept.password_encrypted) == "app-password"


def test_the_pages_need_a_sign_in(client, org_a, owner_a, people_a):
    connection = make_connection(org_a, owner_a, provider=people_a.ada)
    assert client.get(f"/calendars/caldav/{connection.pk}/reconnect/").status_code == 302
    assert client.post(f"/calendars/caldav/{connection.pk}/delete/").status_code == 302
    assert client.post("/calendars/caldav/new/", connect_form(people_a.ada)).status_code == 302
    assert len(connections_of(org_a)) == 1


def test_connecting_reconnecting_and_removing_are_in_the_audit_trail(client, staff_a, org_a, people_a):
    from clinic.audit.models import AuditEvent

    login(client, staff_a, org_a)
    assert client.post("/calendars/caldav/new/", connect_form(people_a.ada)).status_code == 302
    (connection,) = connections_of(org_a)
    data = {"username": "ada", "password": "another"}
    assert client.post(f"/calendars/caldav/{connection.pk}/reconnect/", data).status_code == 302
    assert client.post(f"/calendars/caldav/{connection.pk}/delete/").status_code == 302
    with tenant_context(org=org_a):
        events = AuditEvent.objects.filter(object_id=connection.pk).order_by("at")
        assert [(e.action, e.actor_user_id) for e in events] == [
            ("caldav_connected", staff_a.pk),
            ("caldav_reconnected", staff_a.pk),
            ("caldav_removed", staff_a.pk),
        ]
