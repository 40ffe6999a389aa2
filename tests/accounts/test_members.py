"""Managing the members of the active clinic: who may, what the rules are, and that
another clinic's memberships are out of reach."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages

from tenancy.context import tenant_context
from tenancy.models import Membership
from tests.support.invitations import invite
from tests.support.people import add_member, login, make_user


def member(org, user) -> Membership:
    with tenant_context(org=org):
        return Membership.objects.get(user=user)


def role_of(org, user) -> str | None:
    with tenant_context(org=org):
        found = Membership.objects.filter(organization=org, user=user).first()
        return found.role if found else None


def neutral(body: str) -> str:
    """An invitation mail without what differs between any two: the link and its expiry."""
    body = re.sub(r"/invitations/[A-Za-z0-9_-]+/", "/invitations/TOKEN/", body)
    return re.sub(r"works until .*? and", "works until WHEN and", body)


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def admin_a(org_a):
    user = make_user("ada_admin_a", first_name="Ada", last_name="Admin")
    add_member(org_a, user, role="admin")
    return user


@pytest.fixture
def as_owner(client, org_a, owner_a):
    login(client, owner_a, org=org_a)
    return client


@pytest.fixture
def as_admin(client, org_a, admin_a):
    login(client, admin_a, org=org_a)
    return client


# --- access ------------------------------------------------------------------------


def test_members_page_needs_a_login(client, db):
    assert client.get("/members/")["Location"] == "/accounts/login/?next=/members/"


def test_members_page_needs_an_active_clinic(client, org_a, org_b, owner_a):
    add_member(org_b, owner_a)
    login(client, owner_a)
    assert client.get("/members/")["Location"] == "/clinics/"


def test_staff_cannot_see_or_use_the_members_pages(client, org_a, owner_a, staff_a):
    login(client, staff_a, org=org_a)
    target = member(org_a, owner_a).pk
    assert client.get("/members/").status_code == 404
    assert client.post("/members/invite/", {"email": "x@example.test", "role": "staff"}).status_code == 404
    assert client.post(f"/members/{target}/role/", {"role": "staff"}).status_code == 404
    assert client.post(f"/members/{target}/remove/").status_code == 404
    assert role_of(org_a, owner_a) == "owner"


def test_the_list_shows_the_clinics_members_only(as_owner, org_a, org_b, staff_a, owner_b):
    body = as_owner.get("/members/").content.decode()
    assert "Olivia Owner" in body and "Sam Staff" in body
    assert "Bruno Owner" not in body
    assert "2 members" in body


def test_the_list_does_not_show_the_managers_memberships_elsewhere(as_owner, org_a, org_b, owner_a):
    elsewhere = add_member(org_b, owner_a)
    body = as_owner.get("/members/").content.decode()
    assert f"/members/{elsewhere.pk}/" not in body
    assert "1 member<" in body


# --- invite ------------------------------------------------------------------------
# Inviting adds nobody: tests/accounts/test_invitations.py follows the link to acceptance.


def test_an_owner_invites_by_email_in_any_case_and_nobody_is_added_yet(
    as_owner, org_a, outsider, mailoutbox, on_commit
):
    response = invite(as_owner, on_commit, "  OSCAR_Outsider@Example.TEST ", "admin")
    assert response["Location"] == "/members/"
    assert role_of(org_a, outsider) is None
    assert flashed(response)[0].startswith("Invitation sent to oscar_outsider@example.test")
    [mail] = mailoutbox
    assert mail.to == ["oscar_outsider@example.test"]
    page = as_owner.get("/members/").content.decode()
    assert "oscar_outsider@example.test" in page and "Oscar" not in page


def test_known_and_unknown_addresses_get_the_same_answer(as_owner, org_a, outsider, mailoutbox, on_commit):
    answers = []
    for address in (outsider.email, "nobody@example.test"):
        response = invite(as_owner, on_commit, address)
        assert (response.status_code, response["Location"]) == (302, "/members/")
        page = as_owner.get("/members/").content.decode()
        [said] = re.findall(r'<li class="message[^"]*">(.*?)</li>', page)
        answers.append(said.replace(address, "ADDRESS"))
    assert answers[0] == answers[1]
    assert "Invitation sent to ADDRESS" in answers[0]
    assert mailoutbox[0].subject == mailoutbox[1].subject
    assert [neutral(mail.body) for mail in mailoutbox] == [neutral(mailoutbox[0].body)] * 2
    assert role_of(org_a, outsider) is None


def test_an_existing_member_is_not_invited(as_owner, org_a, staff_a, mailoutbox, on_commit):
    response = invite(as_owner, on_commit, staff_a.email.upper(), "admin")
    assert "That person is already a member." in response.content.decode()
    assert role_of(org_a, staff_a) == "staff"
    assert mailoutbox == []


def test_an_invalid_email_is_a_form_error(as_owner):
    response = as_owner.post("/members/invite/", {"email": "not an email", "role": "staff"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()


def test_an_admin_cannot_invite_an_owner(as_admin, org_a, outsider, mailoutbox, on_commit):
    response = invite(as_admin, on_commit, outsider.email, "owner")
    assert response.status_code == 200
    assert mailoutbox == []
    assert '<option value="owner"' not in as_admin.get("/members/").content.decode()


def test_an_admin_invites_staff(as_admin, org_a, mailoutbox, on_commit):
    assert invite(as_admin, on_commit, "new@example.test").status_code == 302
    assert mailoutbox[0].to == ["new@example.test"]


def test_a_posted_organization_is_ignored_when_inviting(as_owner, org_a, org_b, outsider):
    from tenancy.models import Invitation

    as_owner.post("/members/invite/", {"email": outsider.email, "role": "staff", "organization": org_b.id})
    with tenant_context(org=org_a):
        assert Invitation.objects.filter(email=outsider.email).count() == 1
    with tenant_context(org=org_b):
        assert Invitation.objects.count() == 0


# --- change role ---------------------------------------------------------------------


def test_an_owner_changes_a_role(as_owner, org_a, staff_a):
    response = as_owner.post(f"/members/{member(org_a, staff_a).pk}/role/", {"role": "admin"})
    assert response["Location"] == "/members/"
    assert role_of(org_a, staff_a) == "admin"
    assert flashed(response) == ["Sam Staff is now admin."]


def test_an_owner_can_hand_over_ownership(as_owner, org_a, owner_a, staff_a):
    as_owner.post(f"/members/{member(org_a, staff_a).pk}/role/", {"role": "owner"})
    as_owner.post(f"/members/{member(org_a, owner_a).pk}/role/", {"role": "admin"})
    assert role_of(org_a, staff_a) == "owner"
    assert role_of(org_a, owner_a) == "admin"


def test_the_last_owner_cannot_step_down(as_owner, org_a, owner_a):
    response = as_owner.post(f"/members/{member(org_a, owner_a).pk}/role/", {"role": "admin"})
    assert role_of(org_a, owner_a) == "owner"
    assert flashed(response) == ["There must always be at least one owner. Make someone else an owner first."]


def test_an_admin_cannot_grant_or_remove_the_owner_role(as_admin, org_a, owner_a, staff_a):
    as_admin.post(f"/members/{member(org_a, staff_a).pk}/role/", {"role": "owner"})
    response = as_admin.post(f"/members/{member(org_a, owner_a).pk}/role/", {"role": "staff"})
    assert role_of(org_a, staff_a) == "staff"
    assert role_of(org_a, owner_a) == "owner"
    assert flashed(response)[-1] == "Only an owner can grant or remove the owner role."


def test_an_admin_changes_staff_and_admin_roles(as_admin, org_a, staff_a):
    as_admin.post(f"/members/{member(org_a, staff_a).pk}/role/", {"role": "admin"})
    assert role_of(org_a, staff_a) == "admin"


def test_an_admin_who_steps_down_to_staff_goes_home(as_admin, org_a, admin_a):
    response = as_admin.post(f"/members/{member(org_a, admin_a).pk}/role/", {"role": "staff"})
    assert response["Location"] == "/"
    assert as_admin.get("/members/").status_code == 404


def test_an_unknown_role_changes_nothing(as_owner, org_a, staff_a):
    response = as_owner.post(f"/members/{member(org_a, staff_a).pk}/role/", {"role": "superuser"})
    assert role_of(org_a, staff_a) == "staff"
    assert flashed(response) == ["Choose one of the listed roles."]


def test_changing_a_role_needs_a_post(as_owner, org_a, staff_a):
    assert as_owner.get(f"/members/{member(org_a, staff_a).pk}/role/", {"role": "admin"}).status_code == 405


# --- remove --------------------------------------------------------------------------


def test_removal_is_confirmed_first(as_owner, org_a, staff_a):
    page = as_owner.get(f"/members/{member(org_a, staff_a).pk}/remove/")
    assert "Remove Sam Staff?" in page.content.decode()
    assert role_of(org_a, staff_a) == "staff"


def test_an_owner_removes_a_member(as_owner, org_a, staff_a):
    response = as_owner.post(f"/members/{member(org_a, staff_a).pk}/remove/")
    assert response["Location"] == "/members/"
    assert role_of(org_a, staff_a) is None
    assert flashed(response) == ["Sam Staff was removed from Clinic A."]


def test_the_last_owner_cannot_leave(as_owner, org_a, owner_a):
    response = as_owner.post(f"/members/{member(org_a, owner_a).pk}/remove/")
    assert role_of(org_a, owner_a) == "owner"
    assert "at least one owner" in flashed(response)[0]


def test_an_owner_can_leave_when_another_owner_remains(as_owner, org_a, owner_a, staff_a):
    with tenant_context(org=org_a, user=owner_a):
        Membership.objects.filter(user=staff_a).update(role="owner")
    response = as_owner.post(f"/members/{member(org_a, owner_a).pk}/remove/")
    assert response["Location"] == "/clinics/"
    assert role_of(org_a, owner_a) is None
    assert as_owner.get("/")["Location"] == "/clinics/"


def test_an_admin_cannot_remove_an_owner(as_admin, org_a, owner_a):
    as_admin.post(f"/members/{member(org_a, owner_a).pk}/remove/")
    assert role_of(org_a, owner_a) == "owner"


def test_an_admin_removes_staff(as_admin, org_a, staff_a):
    as_admin.post(f"/members/{member(org_a, staff_a).pk}/remove/")
    assert role_of(org_a, staff_a) is None


# --- cross-clinic ----------------------------------------------------------------------


@pytest.mark.parametrize("action", ["role", "remove"])
def test_it_refuses_other_clinics_members(as_owner, org_b, owner_b, action):
    target = member(org_b, owner_b)
    response = as_owner.post(f"/members/{target.pk}/{action}/", {"role": "staff"})
    assert response.status_code == 404
    assert role_of(org_b, owner_b) == "owner"


def test_it_refuses_the_confirmation_page_for_another_clinics_member(as_owner, org_b, owner_b):
    assert as_owner.get(f"/members/{member(org_b, owner_b).pk}/remove/").status_code == 404


@pytest.mark.parametrize("action", ["role", "remove"])
def test_it_refuses_the_managers_own_membership_in_another_clinic(as_owner, org_a, org_b, owner_a, action):
    # RLS shows a user their own memberships everywhere; the views must still stay in A.
    elsewhere = add_member(org_b, owner_a, role="admin")
    response = as_owner.post(f"/members/{elsewhere.pk}/{action}/", {"role": "staff"})
    assert response.status_code == 404
    assert role_of(org_b, owner_a) == "admin"


def test_a_posted_organization_is_ignored_when_changing_a_role(as_owner, org_a, org_b, staff_a, owner_b):
    as_owner.post(f"/members/{member(org_a, staff_a).pk}/role/", {"role": "admin", "organization": org_b.id})
    assert role_of(org_a, staff_a) == "admin"
    assert role_of(org_b, owner_b) == "owner"


# --- the services on their own -------------------------------------------------------


def test_the_services_refuse_a_staff_actor(org_a, owner_a, staff_a, outsider):
    from django.core.exceptions import PermissionDenied

    from tenancy.services import membership_add, membership_remove

    with tenant_context(org=org_a, user=staff_a):
        actor = Membership.objects.get(user=staff_a)
        with pytest.raises(PermissionDenied):
            membership_add(user=outsider, role="staff", added_by=actor)
        with pytest.raises(PermissionDenied):
            membership_remove(membership=Membership.objects.get(user=owner_a), removed_by=actor)
    assert role_of(org_a, outsider) is None


def test_the_services_stay_inside_the_actors_clinic(org_a, org_b, owner_a, owner_b):
    from tenancy.services import membership_change_role

    target = member(org_b, owner_b)
    with tenant_context(org=org_a, user=owner_a):
        actor = Membership.objects.get(organization=org_a, user=owner_a)
        with pytest.raises(Membership.DoesNotExist):
            membership_change_role(membership=target, role="staff", changed_by=actor)
    assert role_of(org_b, owner_b) == "owner"
