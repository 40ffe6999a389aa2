"""Data for the busy calendar worker test, created in the worker's own database by a
`manage.py shell` of its own (the worker sees only committed rows). Prints JSON."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model

from clinic.appointments.services import provider_create
from clinic.calendars.services import busy_calendar_add
from tenancy.context import tenant_context
from tenancy.services import organization_create


def clinic_with_busy_calendar(slug: str, url: str) -> str:
    owner = get_user_model().objects.create_user(
        username=f"{slug}-owner", email=f"{slug}@example.test", password="x-unused-x"
    )
    org = organization_create(name=slug.title(), slug=slug, timezone="Europe/Berlin", owner=owner)
    with tenant_context(org=org):
        provider = provider_create(name="Dr Who")
        busy_calendar_add(provider=provider, name="Private", url=url)  # fetched once this commits
    return str(org.id)


def seed(url_a: str, url_b: str) -> None:
    print(json.dumps([clinic_with_busy_calendar("busy-a", url_a), clinic_with_busy_calendar("busy-b", url_b)]))  # noqa: T201


def tick() -> None:
    from clinic.calendars.tasks import tick

    tick.defer(timestamp=0)
    print(json.dumps("deferred"))  # noqa: T201
