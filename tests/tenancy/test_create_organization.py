"""`manage.py create_organization`: onboarding a clinic as the runtime role."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tenancy.context import tenant_context
from tenancy.models import Membership, Organization
from tests.support.people import make_user


def create(*args: str) -> str:
    out = StringIO()
    call_command("create_organization", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_clinic_owned_by_the_user(db):
    owner = make_user("rita_owner")
    out = create("--name", "Riverside Clinic", "--owner", "RITA_OWNER@example.test", "--timezone", "Europe/Paris")
    assert "Created Riverside Clinic" in out
    with tenant_context(user=owner):
        membership = Membership.objects.select_related("organization").get(user=owner)
    assert membership.role == Membership.Role.OWNER
    assert membership.organization.slug == "riverside-clinic"
    assert membership.organization.timezone == "Europe/Paris"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "X", "--owner", "nobody"], "No user 'nobody'"),
        (["--name", "X", "--owner", "rita_owner", "--timezone", "Mars/Olympus"], "IANA time zone"),
        (["--name", "X", "--owner", "rita_owner", "--slug", "clinic-a"], "slug 'clinic-a' is taken"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_message(org_a, args, message):
    make_user("rita_owner")
    with pytest.raises(CommandError, match=message):
        create(*args)


def test_a_taken_slug_of_another_clinic_changes_nothing_there(org_a, owner_a):
    make_user("rita_owner")
    with pytest.raises(CommandError):
        create("--name", "Copycat", "--owner", "rita_owner", "--slug", org_a.slug)
    with tenant_context(user=owner_a):
        assert list(Organization.objects.values_list("name", flat=True)) == ["Clinic A"]


def test_an_owner_named_by_one_users_username_and_anothers_email_is_refused(db):
    from django.contrib.auth import get_user_model

    victim = make_user("vera")  # email vera@example.test
    get_user_model().objects.create_user(username="vera@example.test", email="mallory@example.test")
    with pytest.raises(CommandError, match="one user's username and another user's email"):
        create("--name", "Lookalike Clinic", "--owner", "vera@example.test")
    with tenant_context(user=victim):
        assert not Membership.objects.filter(user=victim).exists()
