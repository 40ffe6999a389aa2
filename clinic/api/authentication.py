"""API keys as DRF authentication: the key's clinic, found through the one pre-tenant
lookup (clinic.api.keys.lookup), then confirmed inside that clinic's tenant context."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.db import connection
from django.utils import timezone

from clinic.api.keys import hash_key, looks_like_key, lookup, same_hash
from clinic.api.models import ApiKey
from tenancy.drf import WRITE, BearerKeyAuthentication, InvalidKey, TenantPrincipal

# last_used_at is written at most this often per key: a busy integration should not
# turn every read into a write.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


class ApiKeyAuthentication(BearerKeyAuthentication):
    def resolve(self, key: str) -> TenantPrincipal | None:
        if not looks_like_key(key):
            return None  # malformed: no query, the same 401 as an unknown key
        presented = hash_key(key)
        found = lookup(presented)
        if found is None or found.revoked:
            return None
        return TenantPrincipal(
            organization_id=found.organization_id,
            scopes=frozenset(found.scopes),
            key_id=found.key_id,
            can_manage=WRITE in found.scopes,
            on_enter=partial(_confirm_and_touch, presented),
        )


def _confirm_and_touch(presented_hash: str, principal: TenantPrincipal) -> None:
    """Inside the tenant: the key row is this clinic's, its hash matches (compared in
    constant time) and it is not revoked; note when it was last used."""
    row = ApiKey.objects.filter(pk=principal.key_id).values_list("hash", "last_used_at", "revoked_at").first()
    if row is None or not same_hash(row[0], presented_hash) or row[2] is not None:
        raise InvalidKey()
    now = timezone.now()
    if row[1] is None or now - row[1] >= LAST_USED_PRECISION:
        # SKIP LOCKED: when another request of this key holds the row, it is writing
        # the same thing; waiting for it would serialise the key's requests.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE api_apikey SET last_used_at = %s "
                "WHERE id = (SELECT id FROM api_apikey WHERE id = %s FOR UPDATE SKIP LOCKED)",
                [now, principal.key_id],
            )
