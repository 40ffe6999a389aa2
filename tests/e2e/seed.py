"""Data for the browser tests, created through the real services.

Run in the server's environment: `manage.py shell -c "from tests.e2e.seed import seed; seed()"`."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from tenancy.context import tenant_context
from tenancy.models import Membership
from tenancy.services import membership_add, organization_create

PASSWORD = "e2e-correct-horse-battery"

HARBOUR = "Harbour Street Clinic"
RIVERSIDE = "Riverside Family Practice"


def _user(username: str, first: str, last: str):
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.test", password=PASSWORD, first_name=first, last_name=last
    )


def _add(org, owner, user, role: str) -> None:
    with tenant_context(org=org, user=owner):
        actor = Membership.objects.get(organization=org, user=owner)
        membership_add(user=user, role=role, added_by=actor)


def seed() -> None:
    dana = _user("dana", "Dana", "Whitfield")  # owner of Harbour, staff at Riverside
    rui = _user("rui", "Rui", "Almeida")  # owner of Riverside only
    harbour = organization_create(name=HARBOUR, slug="harbour", timezone="Europe/Berlin", owner=dana)
    riverside = organization_create(name=RIVERSIDE, slug="riverside", timezone="America/New_York", owner=rui)
    _add(riverside, rui, dana, Membership.Role.STAFF)
    _add(harbour, dana, _user("amara", "Amara", "Okafor"), Membership.Role.ADMIN)
    _add(harbour, dana, _user("ben", "Ben", "Lindqvist"), Membership.Role.STAFF)
    _user("noor", "Noor", "Haddad")  # no clinic yet


def refresh_busy_calendars(slug: str) -> None:
    """What the worker does (the browser tests run no worker): fetch every busy calendar
    of the clinic now."""
    from clinic.calendars.models import BusyCalendar
    from clinic.calendars.services import busy_calendar_refresh
    from tenancy.lookups import organization_id_for_slug

    with tenant_context(org=organization_id_for_slug(slug)):
        for calendar in BusyCalendar.objects.all():
            busy_calendar_refresh(busy_calendar=calendar)
