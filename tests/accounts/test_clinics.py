"""The clinic picker and switcher: the active clinic changes only to one of the
user's own memberships, and only in the server-side session."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from tenancy.context import tenant_context
from tenancy.models import Membership
from tenancy.services import organization_create
from tenancy.session import SESSION_ORG_KEY
from tests.support.people import add_member, login


@pytest.fixture
def two_clinics(org_a, org_b, owner_a):
    """owner_a owns clinic A and is staff in clinic B; signed-in tests start in A."""
    return add_member(org_b, owner_a)


def own_membership(user, org) -> Membership:
    with tenant_context(org=org):
        return Membership.objects.get(user=user)


def test_the_picker_needs_a_login(client, db):
    assert client.get("/clinics/")["Location"] == "/accounts/login/?next=/clinics/"


def test_the_picker_lists_only_the_users_own_clinics(client, two_clinics, outsider, org_a, owner_a):
    organization_create(name="Clinic C", slug="clinic-c", timezone="Asia/Tokyo", owner=outsider)
    login(client, owner_a)
    body = client.get("/clinics/").content.decode()
    assert "Clinic A" in body and "Clinic B" in body
    assert "Clinic C" not in body
    assert "Europe/Berlin" in body and "America/New_York" in body


def test_switching_activates_the_clinic(client, two_clinics, org_a, org_b, owner_a):
    login(client, owner_a, org=org_a)
    response = client.post("/clinics/switch/", {"membership": two_clinics.pk})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_ORG_KEY] == str(org_b.id)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Now working in Clinic B."]
    page = client.get("/").content.decode()
    assert 'data-testid="active-clinic">Clinic B<' in page
    assert "America/New_York" in page


def test_switching_gives_the_session_a_new_key(client, two_clinics, org_a, owner_a):
    login(client, owner_a, org=org_a)
    before = client.session.session_key
    client.post("/clinics/switch/", {"membership": two_clinics.pk})
    assert client.session.session_key != before


def test_switching_needs_a_post(client, two_clinics, org_a, owner_a):
    login(client, owner_a, org=org_a)
    assert client.get("/clinics/switch/", {"membership": two_clinics.pk}).status_code == 405
    assert client.session[SESSION_ORG_KEY] == str(org_a.id)


def test_switching_needs_a_login(client, two_clinics):
    response = client.post("/clinics/switch/", {"membership": two_clinics.pk})
    assert response["Location"].startswith("/accounts/login/")


def test_it_refuses_someone_elses_membership_in_another_clinic(client, org_a, org_b, owner_a, owner_b):
    login(client, owner_a, org=org_a)
    response = client.post("/clinics/switch/", {"membership": own_membership(owner_b, org_b).pk})
    assert response.status_code == 404
    assert client.session[SESSION_ORG_KEY] == str(org_a.id)


def test_it_refuses_a_colleagues_membership_in_the_same_clinic(client, org_a, owner_a, staff_a):
    login(client, staff_a, org=org_a)
    response = client.post("/clinics/switch/", {"membership": own_membership(owner_a, org_a).pk})
    assert response.status_code == 404


# A fixed unknown id, not uuid4(): parallel test processes must collect the same test names.
@pytest.mark.parametrize("value", ["5cbc8122-7718-432e-9d3e-88c4ff48cbad", "not-a-uuid", ""])
def test_it_refuses_bogus_membership_ids(client, two_clinics, org_a, owner_a, value):
    login(client, owner_a, org=org_a)
    response = client.post("/clinics/switch/", {"membership": value})
    assert response.status_code == 404
    assert client.session[SESSION_ORG_KEY] == str(org_a.id)


def test_an_organization_id_in_the_switch_form_is_ignored(client, two_clinics, org_a, org_b, owner_a, owner_b):
    other_clinic = own_membership(owner_b, org_b).organization_id
    login(client, owner_a, org=org_a)
    own_a = own_membership(owner_a, org_a)
    client.post("/clinics/switch/", {"membership": own_a.pk, "organization": other_clinic, "org_id": other_clinic})
    assert client.session[SESSION_ORG_KEY] == str(org_a.id)


def test_the_organization_id_alone_does_not_switch(client, two_clinics, org_a, org_b, owner_a):
    login(client, owner_a, org=org_a)
    assert client.post("/clinics/switch/", {"membership": org_b.id}).status_code == 404
    assert client.session[SESSION_ORG_KEY] == str(org_a.id)


def test_the_header_offers_the_switcher_only_with_two_clinics(client, org_a, org_b, owner_a):
    login(client, owner_a, org=org_a)
    assert 'id="clinic-switcher"' not in client.get("/").content.decode()
    add_member(org_b, owner_a)
    body = client.get("/").content.decode()
    assert 'id="clinic-switcher"' in body
    assert 'action="/clinics/switch/"' in body
    # Each option is the user's own membership id, never an organization id.
    assert str(org_b.id) not in body


def test_before_a_clinic_is_picked_the_switcher_shows_none_as_chosen(client, two_clinics, org_a, owner_a):
    login(client, owner_a)
    body = client.get("/clinics/").content.decode()
    assert '<option value="" selected disabled>Choose a clinic</option>' in body
    assert " selected>Clinic" not in body
    assert 'data-testid="active-clinic"' not in body
    client.post("/clinics/switch/", {"membership": own_membership(owner_a, org_a).pk})
    body = client.get("/clinics/").content.decode()
    assert "Choose a clinic</option>" not in body
    assert " selected>Clinic A</option>" in body


def test_a_membership_removed_meanwhile_sends_the_user_back_to_the_picker(
    client, two_clinics, org_a, org_b, owner_a, owner_b
):
    login(client, owner_a, org=org_a)
    client.post("/clinics/switch/", {"membership": two_clinics.pk})
    with tenant_context(org=org_b, user=owner_b):  # only a manager removes a member
        Membership.objects.filter(pk=two_clinics.pk).delete()
    assert client.get("/")["Location"] == "/clinics/"
    body = client.get("/clinics/").content.decode()
    assert '<h2 class="clinic-choice__name">Clinic A</h2>' in body
    assert '<h2 class="clinic-choice__name">Clinic B</h2>' not in body
