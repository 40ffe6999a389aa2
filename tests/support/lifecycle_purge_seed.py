"""Data for the purge test, made in a database of its own by a `manage.py shell`: two
clinics with a row in every tenant table (the test app's tables aside: that app is
installed only in the test settings), clinic A then closed. Prints the ids as JSON."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model

from clinic.lifecycle.services import clinic_close
from tenancy.context import tenant_context
from tenancy.services import organization_create
from tests.support.factories import TENANT_FACTORIES


def clinic(slug: str):
    owner = get_user_model().objects.create_user(username=f"{slug}-owner", email=f"{slug}@example.test", password="x")
    org = organization_create(name=slug.title(), slug=slug, timezone="UTC", owner=owner)
    with tenant_context(org=org, user=owner):
        for label, factory in TENANT_FACTORIES.items():
            if not label.startswith("tenant_app."):
                factory()
    return org, owner


def seed() -> None:
    (org_a, owner_a), (org_b, _) = clinic("purge-a"), clinic("purge-b")
    clinic_close(organization_id=org_a.id, changed_by=owner_a, reason="Practice retired")
    print(json.dumps({"a": str(org_a.id), "b": str(org_b.id)}))  # noqa: T201
