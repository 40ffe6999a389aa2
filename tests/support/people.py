"""Users, memberships and sign-in as the tests make them: through the real models,
services and login view."""

from __future__ import annotations

from tenancy.context import tenant_context

PASSWORD = "correct-horse-battery-staple"


def make_user(username: str, **extra):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.test", password=PASSWORD, **extra
    )


def add_member(org, user, role: str = "staff"):
    """Give `user` a membership in `org` (for users in several clinics), granted by an
    owner of `org`: the database accepts a new member from nobody else."""
    from tenancy.models import Membership

    with tenant_context(org=org):
        owner_id = Membership.objects.filter(role=Membership.Role.OWNER).values_list("user_id", flat=True).first()
        with tenant_context(user=owner_id):
            return Membership.objects.create(user=user, role=role)


def login(client, user, org=None) -> None:
    """Log in through the real login view, then (optionally) pick the clinic
    through the real switcher."""
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    if org is not None:
        from tenancy.session import SESSION_ORG_KEY

        session = client.session
        session[SESSION_ORG_KEY] = str(org.id)
        session.save()


def clinic_people(org, *, prefix: str = ""):
    """Two patients, two providers and a 30-minute type in `org`, made with the factories.
    `prefix` keeps another clinic's names apart, so a page can be checked for them."""
    from types import SimpleNamespace

    from tests.support import factories

    with tenant_context(org=org):
        return SimpleNamespace(
            org=org,
            jane=factories.patient(first_name=f"{prefix}Jane", last_name="Doe"),
            john=factories.patient(first_name=f"{prefix}John", last_name="Roe"),
            ada=factories.provider(title="Dr", name=f"{prefix}Ada Lovelace"),
            grace=factories.provider(title="Dr", name=f"{prefix}Grace Hopper"),
            checkup=factories.appointment_type(name=f"{prefix}Check-up", default_duration=30),
        )
