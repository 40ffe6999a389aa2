"""The Calendar connections page (/calendars/): making a feed and seeing its link
once, listing and revoking feeds, and who may see or revoke which."""

from __future__ import annotations

import re

import pytest

from clinic.calendars.models import CalendarFeed
from clinic.calendars.services import calendar_settings_update
from tenancy.context import tenant_context
from tests.support.calendars import feed_path, make_feed
from tests.support.people import add_member, login, make_user

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver/calendar/([A-Za-z0-9_-]{43})\.ics")


def feeds_of(org) -> list[CalendarFeed]:
    with tenant_context(org=org):
        return list(CalendarFeed.objects.select_related("provider", "created_by"))


def test_a_member_makes_a_feed_and_sees_its_link_once(client, staff_a, org_a, people_a):
    login(client, staff_a, org_a)
    response = client.post("/calendars/new/", {"provider": str(people_a.ada.pk), "privacy": "initials"})
    assert response.status_code == 200
    page = response.content.decode()
    token = LINK.search(page).group(1)
    assert f'href="webcal://testserver/calendar/{token}.ics"' in page
    assert 'class="qr-code"' in page and "<path" in page and "data-copy-target" in page
    (feed,) = feeds_of(org_a)
    assert (feed.provider, feed.privacy, feed.created_by) == (people_a.ada, "initials", staff_a)
    assert client.get(feed_path(token)).status_code == 200
    listing = client.get("/calendars/").content.decode()
    assert "Dr Ada Lovelace" in listing and "Type, time and patient initials" in listing
    assert token not in listing and not LINK.search(listing)


def test_a_whole_clinic_feed_is_the_default_scope(client, staff_a, org_a):
    login(client, staff_a, org_a)
    assert client.post("/calendars/new/", {"provider": "", "privacy": "type"}).status_code == 200
    (feed,) = feeds_of(org_a)
    assert feed.provider is None


def test_another_clinics_provider_cannot_be_chosen(client, staff_a, org_a, people_b):
    login(client, staff_a, org_a)
    response = client.post("/calendars/new/", {"provider": str(people_b.ada.pk), "privacy": "type"})
    assert response.status_code == 400
    assert feeds_of(org_a) == []


def test_a_clinic_that_forbids_patient_details_refuses_them(client, owner_a, staff_a, org_a):
    login(client, owner_a, org_a)
    assert client.post("/calendars/settings/", {}).status_code == 302
    login(client, staff_a, org_a)
    page = client.get("/calendars/").content.decode()
    assert 'value="names"' not in page and 'value="initials"' not in page
    assert client.post("/calendars/new/", {"provider": "", "privacy": "names"}).status_code == 400
    assert feeds_of(org_a) == []


@pytest.mark.parametrize("providers", [True, False], ids=["with providers", "without providers"])
def test_the_page_shows_the_clinics_settings_or_the_defaults(client, owner_a, org_a, providers, request):
    """The settings are read with the active providers, or on their own without any."""
    if providers:
        request.getfixturevalue("people_a")
    login(client, owner_a, org_a)
    page = client.get("/calendars/").content.decode()
    assert "cannot be booked" in page and 'value="names"' in page
    with tenant_context(org=org_a):
        calendar_settings_update(allow_patient_details=False, busy_conflicts="warn")
    page = client.get("/calendars/").content.decode()
    assert "booking them shows a warning" in page and 'value="names"' not in page


def test_staff_cannot_change_the_clinic_setting(client, staff_a, org_a):
    login(client, staff_a, org_a)
    assert client.post("/calendars/settings/", {}).status_code == 404
    assert "Calendar settings" not in client.get("/calendars/").content.decode()


def test_members_list_and_revoke_only_their_own_feeds(client, owner_a, staff_a, org_a):
    owners = make_feed(org_a, owner_a)
    mine = make_feed(org_a, staff_a)
    owner_feed = next(feed for feed in feeds_of(org_a) if feed.created_by == owner_a)
    staff_feed = next(feed for feed in feeds_of(org_a) if feed.created_by == staff_a)
    login(client, staff_a, org_a)
    assert len(re.findall('data-testid="feed-row"', client.get("/calendars/").content.decode())) == 1
    assert client.post(f"/calendars/{owner_feed.pk}/revoke/").status_code == 404
    assert client.get(feed_path(owners)).status_code == 200
    assert client.post(f"/calendars/{staff_feed.pk}/revoke/").status_code == 302
    assert client.get(feed_path(mine)).status_code == 404
    assert "Revoked" in client.get("/calendars/").content.decode()


def test_owners_and_admins_see_and_revoke_every_feed(client, owner_a, staff_a, org_a):
    token = make_feed(org_a, staff_a)
    (feed,) = feeds_of(org_a)
    admin = make_user("ada_admin_a")
    add_member(org_a, admin, "admin")
    login(client, admin, org_a)
    page = client.get("/calendars/").content.decode()
    assert 'data-testid="feed-row"' in page and "Sam Staff" in page
    assert client.post(f"/calendars/{feed.pk}/revoke/").status_code == 302
    assert client.get(feed_path(token)).status_code == 404


def test_another_clinics_staff_cannot_list_or_revoke_a_feed(client, owner_a, org_a, owner_b, org_b):
    token = make_feed(org_a, owner_a)
    (feed,) = feeds_of(org_a)
    login(client, owner_b, org_b)
    assert 'data-testid="feed-row"' not in client.get("/calendars/").content.decode()
    assert client.post(f"/calendars/{feed.pk}/revoke/").status_code == 404
    assert client.get(feed_path(token)).status_code == 200
    with tenant_context(org=org_b):
        from clinic.audit.models import AuditEvent

        assert AuditEvent.objects.filter(action="view_denied", object_id=feed.pk).exists()


def test_the_page_needs_a_sign_in_and_the_navigation_links_it(client, staff_a, org_a):
    assert client.get("/calendars/").status_code == 302
    login(client, staff_a, org_a)
    assert 'href="/calendars/"' in client.get("/").content.decode()


def test_revoking_needs_a_post(client, owner_a, org_a):
    make_feed(org_a, owner_a)
    (feed,) = feeds_of(org_a)
    login(client, owner_a, org_a)
    assert client.get(f"/calendars/{feed.pk}/revoke/").status_code == 405
