"""Joining a clinic by invitation: nobody is added without accepting, only the invited
address can accept, dead links are one plain 404, and another clinic's invitations
are out of reach."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenancy.context import tenant_context
from tenancy.lookups import organization_for
from tenancy.models import Invitation, Membership
from tenancy.services import invitation_accept, invitation_create
from tenancy.session import SESSION_ORG_KEY, memberships_for
from tenancy.tokens import hash_token
from tests.support.invitations import invite, link_in, token_in
from tests.support.people import PASSWORD, add_member, login, make_user
from tests.support.two_factor import sign_in_with_code

DEAD_LINK = "This invitation link does not work"


def role_of(org, user) -> str | None:
    with tenant_context(org=org):
        found = Membership.objects.filter(organization=org, user=user).first()
        return found.role if found else None


def invitation_of(org, email: str) -> Invitation:
    with tenant_context(org=org):
        return Invitation.objects.get(email=email)


@pytest.fixture
def as_owner(client, org_a, owner_a):
    login(client, owner_a, org=org_a)
    return client


@pytest.fixture
def invited(as_owner, on_commit, mailoutbox, outsider):
    """Clinic A's owner has invited the outsider's address as admin: the mail."""
    assert invite(as_owner, on_commit, outsider.email, "admin").status_code == 302
    as_owner.logout()
    [mail] = mailoutbox
    return mail


# --- the mail --------------------------------------------------------------------


def test_the_mail_names_the_clinic_and_the_inviter_and_carries_a_long_random_link(invited, outsider):
    assert invited.to == [outsider.email]
    assert "Olivia Owner" in invited.subject and "Clinic A" in invited.subject
    assert "Olivia Owner invited you to join Clinic A as admin." in invited.body
    assert invited.body.count("http://") == 1
    token = token_in(invited)
    assert len(token) >= 43
    invitation = invitation_of_hash(token)
    assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash


def invitation_of_hash(token: str) -> Invitation:
    org_id = organization_for("tenancy_invitation_for_token", hash_token(token))
    with tenant_context(org=org_id):
        return Invitation.objects.get(token_hash=hash_token(token))


def test_no_mail_goes_out_when_the_invitation_rolls_back(
    org_a, owner_a, django_capture_on_commit_callbacks, mailoutbox
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), tenant_context(org=org_a, user=owner_a):
        with transaction.atomic():
            actor = Membership.objects.get(organization=org_a, user=owner_a)
            invitation_create(email="x@example.test", role="staff", invited_by=actor)
            transaction.set_rollback(True)
    assert mailoutbox == []


# --- accepting -----------------------------------------------------------------------


def test_the_invitee_accepts_and_only_then_is_a_member(client, invited, org_a, outsider, owner_a):
    login(client, outsider)
    page = client.get(link_in(invited))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Join Clinic A" in body and "Olivia Owner invited" in body and 'value="accept"' in body
    assert role_of(org_a, outsider) is None
    with tenant_context(user=outsider):
        assert memberships_for(outsider) == []

    response = client.post(link_in(invited), {"answer": "accept"})
    assert response["Location"] == "/"
    assert role_of(org_a, outsider) == "admin"
    assert client.session[SESSION_ORG_KEY] == str(org_a.id)
    with tenant_context(user=outsider):
        assert [m.organization_id for m in memberships_for(outsider)] == [org_a.id]
    invitation = invitation_of(org_a, outsider.email)
    assert invitation.accepted_by_id == outsider.pk and invitation.accepted_at is not None
    # The link is used up.
    assert DEAD_LINK in client.get(link_in(invited)).content.decode()


def test_the_new_member_shows_on_the_members_page_only_after_accepting(client, invited, org_a, outsider, owner_a):
    outsider.first_name, outsider.last_name = "Oscar", "Outsider"
    outsider.save()
    login(client, owner_a, org=org_a)
    before = client.get("/members/").content.decode()
    assert "Oscar Outsider" not in before and outsider.email in before
    client.logout()
    login(client, outsider)
    client.post(link_in(invited), {"answer": "accept"})
    client.logout()
    login(client, owner_a, org=org_a)
    after = client.get("/members/").content.decode()
    assert "Oscar Outsider" in after
    assert "None. People you invite" in after


def test_the_invitee_accepts_while_working_in_another_clinic(client, invited, org_a, org_b, outsider):
    add_member(org_b, outsider)
    login(client, outsider, org=org_b)
    assert client.get(link_in(invited)).status_code == 200
    assert client.post(link_in(invited), {"answer": "accept"})["Location"] == "/"
    assert role_of(org_a, outsider) == "admin"
    assert client.session[SESSION_ORG_KEY] == str(org_a.id)


def test_the_address_matches_in_any_case(client, org_a, owner_a, on_commit, mailoutbox):
    login(client, owner_a, org=org_a)
    invite(client, on_commit, "Mixed.Case@Example.TEST")
    client.logout()
    person = make_user("mixed")
    person.email = "MIXED.case@example.test"
    person.save()
    login(client, person)
    client.post(link_in(mailoutbox[0]), {"answer": "accept"})
    assert role_of(org_a, person) == "staff"


def test_someone_else_cannot_accept(client, invited, org_a, outsider, staff_a):
    login(client, staff_a)
    page = client.get(link_in(invited)).content.decode()
    assert "sign in with the invited address" in page
    assert 'value="accept"' not in page
    assert client.post(link_in(invited), {"answer": "accept"}).status_code == 403
    assert role_of(org_a, outsider) is None
    with tenant_context(user=staff_a):
        assert [m.organization_id for m in memberships_for(staff_a)] == [org_a.id]
    assert invitation_of(org_a, outsider.email).accepted_at is None


def test_the_service_refuses_someone_else(invited, org_a, staff_a, outsider):
    with pytest.raises(ValidationError, match="Sign in with that address"):
        invitation_accept(token=token_in(invited), user=staff_a)
    assert role_of(org_a, outsider) is None


def test_declining_kills_the_link_and_adds_nobody(client, invited, org_a, outsider):
    login(client, outsider)
    assert client.post(link_in(invited), {"answer": "decline"})["Location"] == "/clinics/"
    assert role_of(org_a, outsider) is None
    assert invitation_of(org_a, outsider.email).revoked_at is not None
    assert client.get(link_in(invited)).status_code == 404


def test_an_unknown_answer_changes_nothing(client, invited, org_a, outsider):
    login(client, outsider)
    assert client.post(link_in(invited), {"answer": "maybe"}).status_code == 400
    assert role_of(org_a, outsider) is None


# --- signed out ------------------------------------------------------------------


def test_a_signed_out_invitee_with_an_account_signs_in_and_comes_back(client, invited, org_a, outsider):
    link = link_in(invited)
    page = client.get(link).content.decode()
    assert f'href="/accounts/login/?next={link}"' in page
    assert "Create your account" not in page
    response = client.post(f"/accounts/login/?next={link}", {"username": outsider.username, "password": PASSWORD})
    assert response["Location"] == link
    client.post(link, {"answer": "accept"})
    assert role_of(org_a, outsider) == "admin"


def test_a_newcomer_signs_up_with_the_invited_address_and_lands_in_the_clinic(client, as_owner, on_commit, org_a):
    from django.contrib.auth import get_user_model

    invite(as_owner, on_commit, "newcomer@example.test")
    as_owner.logout()
    from django.core import mail

    link = link_in(mail.outbox[0])
    page = client.get(link).content.decode()
    assert "Create your account" in page and "newcomer@example.test" in page
    weak = {"username": "nina", "first_name": "Nina", "last_name": "New", "password1": "1234", "password2": "1234"}
    assert client.post(link, weak).status_code == 400
    assert not get_user_model().objects.filter(username="nina").exists()

    fields = {**weak, "password1": "a-long-unusual-passphrase", "password2": "a-long-unusual-passphrase"}
    response = client.post(link, fields)
    assert response["Location"] == "/"
    user = get_user_model().objects.get(username="nina")
    assert user.email == "newcomer@example.test"
    assert role_of(org_a, user) == "staff"
    home = client.get("/")
    assert home.status_code == 200 and "Clinic A" in home.content.decode()
    assert client.get(link).status_code == 404


def test_sign_up_takes_no_address_from_the_form(client, as_owner, on_commit, org_a, mailoutbox):
    from django.contrib.auth import get_user_model

    invite(as_owner, on_commit, "real@example.test")
    as_owner.logout()
    password = "a-long-unusual-passphrase"
    fields = {"username": "eve", "first_name": "Eve", "last_name": "E", "password1": password, "password2": password}
    client.post(link_in(mailoutbox[0]), {**fields, "email": "eve@example.test"})
    assert get_user_model().objects.get(username="eve").email == "real@example.test"


# --- dead links --------------------------------------------------------------------


def dead(client, link: str) -> bool:
    response = client.get(link)
    return response.status_code == 404 and DEAD_LINK in response.content.decode()


def test_unknown_and_malformed_links_are_the_same_404(client, db):
    assert dead(client, "/invitations/" + "A" * 43 + "/")
    assert dead(client, "/invitations/short/")
    assert client.post("/invitations/" + "A" * 43 + "/", {"answer": "accept"}).status_code == 404


def test_an_expired_link_is_dead(client, invited, org_a, owner_a, outsider):
    with tenant_context(org=org_a, user=owner_a):
        Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert dead(client, link_in(invited))
    login(client, outsider)
    assert client.post(link_in(invited), {"answer": "accept"}).status_code == 404
    assert role_of(org_a, outsider) is None
    assert organization_for("tenancy_invitation_for_token", hash_token(token_in(invited))) is None


def test_the_invitation_lasts_the_configured_days(invited, org_a, outsider, settings):
    invitation = invitation_of(org_a, outsider.email)
    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=settings.INVITATION_TTL_DAYS)


def test_a_revoked_link_is_dead(client, invited, org_a, owner_a, outsider):
    login(client, owner_a, org=org_a)
    invitation = invitation_of(org_a, outsider.email)
    response = client.post(f"/members/invitations/{invitation.pk}/revoke/")
    assert response["Location"] == "/members/"
    assert "None. People you invite" in client.get("/members/").content.decode()
    client.logout()
    assert dead(client, link_in(invited))
    login(client, outsider)
    assert client.post(link_in(invited), {"answer": "accept"}).status_code == 404
    assert role_of(org_a, outsider) is None


def test_inviting_again_renews_the_invitation_and_kills_the_old_link(
    client, invited, org_a, owner_a, outsider, on_commit, mailoutbox
):
    login(client, owner_a, org=org_a)
    invite(client, on_commit, outsider.email.upper(), "staff")
    with tenant_context(org=org_a):
        [invitation] = Invitation.objects.all()
    assert invitation.role == "staff"
    client.logout()
    assert dead(client, link_in(mailoutbox[0]))
    login(client, outsider)
    client.post(link_in(mailoutbox[1]), {"answer": "accept"})
    assert role_of(org_a, outsider) == "staff"


# --- who may see and revoke --------------------------------------------------------


def test_the_members_page_lists_pending_invitations(client, invited, org_a, owner_a, outsider):
    login(client, owner_a, org=org_a)
    body = client.get("/members/").content.decode()
    assert outsider.email in body and "Olivia Owner" in body and "Revoke" in body


def test_another_clinic_neither_sees_nor_revokes_the_invitations(client, invited, org_a, org_b, owner_b, outsider):
    login(client, owner_b, org=org_b)
    assert outsider.email not in client.get("/members/").content.decode()
    invitation = invitation_of(org_a, outsider.email)
    assert client.post(f"/members/invitations/{invitation.pk}/revoke/").status_code == 404
    assert invitation_of(org_a, outsider.email).revoked_at is None


def test_staff_cannot_revoke(client, invited, org_a, staff_a, outsider):
    login(client, staff_a, org=org_a)
    invitation = invitation_of(org_a, outsider.email)
    assert client.post(f"/members/invitations/{invitation.pk}/revoke/").status_code == 404
    assert invitation_of(org_a, outsider.email).revoked_at is None


def test_an_admin_cannot_revoke_an_owners_invitation(client, as_owner, on_commit, org_a, outsider):
    invite(as_owner, on_commit, outsider.email, "owner")
    as_owner.logout()
    admin = make_user("ada_admin", first_name="Ada")
    add_member(org_a, admin, "admin")
    login(client, admin, org=org_a)
    invitation = invitation_of(org_a, outsider.email)
    client.post(f"/members/invitations/{invitation.pk}/revoke/")
    assert invitation_of(org_a, outsider.email).revoked_at is None


def test_revoking_needs_a_post(client, invited, org_a, owner_a, outsider):
    login(client, owner_a, org=org_a)
    invitation = invitation_of(org_a, outsider.email)
    assert client.get(f"/members/invitations/{invitation.pk}/revoke/").status_code == 405


# --- the lookup ----------------------------------------------------------------------


def test_the_lookup_answers_for_pending_invitations_only(invited, org_a, owner_a, outsider):
    token_hash = hash_token(token_in(invited))
    assert organization_for("tenancy_invitation_for_token", token_hash) == org_a.id
    with tenant_context(org=org_a, user=owner_a):
        Invitation.objects.update(accepted_at=timezone.now())
    assert organization_for("tenancy_invitation_for_token", token_hash) is None
    with tenant_context(org=org_a, user=owner_a):
        Invitation.objects.update(accepted_at=None, revoked_at=timezone.now())
    assert organization_for("tenancy_invitation_for_token", token_hash) is None


# --- the admin -----------------------------------------------------------------------


def test_the_admin_lists_and_revokes_the_active_clinics_invitations_only(
    client, invited, org_a, org_b, owner_a, outsider
):
    from tests.support import factories

    with tenant_context(org=org_b):
        theirs = factories.invitation(email="bruno-guest@example.test")
    owner_a.is_staff = True
    owner_a.save()
    sign_in_with_code(client, owner_a, org_a)  # /admin/ asks for the second factor
    listing = client.get("/admin/tenancy/invitation/").content.decode()
    assert outsider.email in listing and "bruno-guest" not in listing
    mine = invitation_of(org_a, outsider.email)
    assert mine.token_hash not in client.get(f"/admin/tenancy/invitation/{mine.pk}/change/").content.decode()
    assert client.get(f"/admin/tenancy/invitation/{theirs.pk}/change/").status_code == 404

    client.post("/admin/tenancy/invitation/", {"action": "revoke", "_selected_action": [mine.pk, theirs.pk]})
    assert invitation_of(org_a, outsider.email).revoked_at is not None
    with tenant_context(org=org_b):
        assert Invitation.objects.get(pk=theirs.pk).revoked_at is None
    assert dead(client, link_in(invited))
    # Nobody is added, nor invited, from the admin.
    assert client.get("/admin/tenancy/invitation/add/").status_code == 403
    assert client.get("/admin/tenancy/membership/add/").status_code == 403
