"""Proof that the app server, not SQL running as the runtime role, chose the tenant.

The RLS policies do not trust `app.org_id` and `app.user_id` alone: any SQL running
as the runtime role (an injection, say) could `set_config` another clinic's id. Next
to them tenant_context() sets `app.context_proof`: an HMAC-SHA256, under a key the
runtime role cannot read, over the organization, the user, the database backend's
process id and the transaction's start time. The policies call
`tenancy_proven_org()` / `tenancy_proven_user()` (SECURITY DEFINER, see
tenancy.operations), which recompute it from their own copy of the key and answer
NULL unless it matches, so:

- another clinic's id with this transaction's proof fails (the organization is signed);
- a proof seen in another session's query text (db_roles hides it from the runtime
  role, tenancy.session_activity; a log could still show it) fails there (another
  backend, or the same backend in a later transaction);
- a proof from an earlier transaction of this session fails (another start time).

Signing happens only here, in the app server's process; no database function can
sign. The key is derived from SECRET_KEY; `manage.py migrate` (as the owner role)
stores its HMAC pads where only that role can read them (install_context_key)."""

from __future__ import annotations

import hashlib
import hmac

from django.db import connections
from django.utils.crypto import salted_hmac

PROOF_SETTING = "app.context_proof"
# A grant: one named permission the app server gives its own transaction (say, to
# change a user's platform roles), signed like the tenant (grant_proof_for).
GRANT_SETTING = "app.grant"
GRANT_PROOF_SETTING = "app.grant_proof"
# The database's copy of the key: a schema of the owner role's that the runtime role
# may not even look into.
KEY_TABLE = "tenancy_private.context_key"
_VERSION = "v1"
_BLOCK_SIZE = 64  # SHA-256's block size: HMAC pads the key to it


def context_key() -> bytes:
    """32 bytes derived from SECRET_KEY, used for nothing else."""
    return salted_hmac("tenancy.proof.context_key", _VERSION, algorithm="sha256").digest()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer HMAC pads (RFC 2104): what the database stores, so its
    check is two sha256() calls with nothing computed from the key at query time."""
    padded = key.ljust(_BLOCK_SIZE, b"\0")
    return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)


# The backend serving this transaction and the transaction's start in microseconds.
# Asked of the server for every proof: through a pooler in transaction mode, each
# transaction may be served by another backend.
TRANSACTION_IDENTITY_SQL = "SELECT pg_backend_pid(), (extract(epoch FROM transaction_timestamp()) * 1000000)::bigint"


def proof_for(org: str, user: str, backend_pid: int, transaction_start_us: int) -> str:
    # The same message tenancy_proven_org() and _user() build in SQL; ids are UUIDs, never '|'.
    message = f"{_VERSION}|{org}|{user}|{backend_pid}|{transaction_start_us}".encode()
    return hmac.new(context_key(), message, hashlib.sha256).hexdigest()


def grant_proof_for(grant: str, backend_pid: int, transaction_start_us: int) -> str:
    # The message tenancy_proven_grant() builds in SQL; a tenant proof's never starts so.
    message = f"{_VERSION}|grant|{grant}|{backend_pid}|{transaction_start_us}".encode()
    return hmac.new(context_key(), message, hashlib.sha256).hexdigest()


def _transaction_identity(using: str) -> tuple[int, int]:
    with connections[using].cursor() as cursor:
        cursor.execute(TRANSACTION_IDENTITY_SQL)
        return cursor.fetchone()


def sign(org: str, user: str, *, using: str = "default") -> str:
    """The proof for (org, user) in the transaction open on `using`."""
    return proof_for(org, user, *_transaction_identity(using))


def sign_grant(grant: str, *, using: str = "default") -> str:
    """The proof for `grant` in the transaction open on `using`."""
    return grant_proof_for(grant, *_transaction_identity(using))


def install_context_key(using: str) -> None:
    """Store this server's key pads in the database, as the owner role (`using`).
    Idempotent; run after every migrate, so a new SECRET_KEY takes effect there."""
    inner, outer = hmac_pads(context_key())
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {KEY_TABLE} (id, inner_pad, outer_pad) VALUES (1, %s, %s) "  # noqa: S608 (a constant)
            "ON CONFLICT (id) DO UPDATE SET inner_pad = EXCLUDED.inner_pad, outer_pad = EXCLUDED.outer_pad "
            "WHERE (context_key.inner_pad, context_key.outer_pad) "
            "IS DISTINCT FROM (EXCLUDED.inner_pad, EXCLUDED.outer_pad)",
            [inner, outer],
        )
