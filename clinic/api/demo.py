"""API keys of the demo clinics (manage.py seed_demo): one read/write and one read-only
key per clinic, printed with the demo sign-ins so the API quick start's curl examples work (docs/integrators/api.md)."""

from __future__ import annotations

from clinic.api.models import ApiKey
from clinic.api.services import api_key_create


def create_demo_keys(*, clinic_name: str, owner) -> list[tuple[str, str]]:
    """In the clinic's tenant context: (description, key) for each new key."""
    keys = []
    for name, scopes in (("Demo integration", ApiKey.READ_WRITE), ("Demo reporting", ApiKey.READ_ONLY)):
        api_key, key = api_key_create(name=name, scopes=scopes, created_by=owner)
        keys.append((f"{clinic_name}, {api_key.scope_label}", key))
    return keys
