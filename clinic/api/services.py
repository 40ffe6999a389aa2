"""Creating and revoking API keys: the one write path for keys, used by the staff
page, the admin, `manage.py create_api_key` and the demo data. Each must run inside
the clinic's tenant context."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.api.keys import generate_key
from clinic.api.models import ApiKey
from clinic.audit.trail import Action, record


@transaction.atomic
def api_key_create(*, name: str, scopes: Iterable[str] = ApiKey.READ_WRITE, created_by=None) -> tuple[ApiKey, str]:
    """A new key of the current clinic, and the key itself: shown once, never stored."""
    scopes = sorted(set(scopes), key=list(ApiKey.Scope.values).index)
    if ApiKey.Scope.READ not in scopes:
        raise ValidationError({"scopes": "Every key may read; a write key reads too."}, code="invalid_scopes")
    new = generate_key()
    api_key = ApiKey(name=name.strip(), scopes=scopes, prefix=new.prefix, hash=new.hash, created_by=created_by)
    api_key.claim_for_current_org()
    api_key.full_clean()
    api_key.save(force_insert=True)
    record(Action.API_KEY_CREATED, obj=api_key, changed_fields=("name", "scopes"))
    return api_key, new.key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key from its next request on; revoking twice keeps the first time."""
    api_key.refresh_from_db(from_queryset=ApiKey.objects.select_for_update())
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        record(Action.API_KEY_REVOKED, obj=api_key, changed_fields=("revoked_at",))
    return api_key
