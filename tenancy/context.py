"""The tenant context: which organization (and user) this transaction acts for.

`tenant_context(org, user)` is the one way to run code as a tenant. It opens or joins
a transaction and sets `app.org_id` / `app.user_id` with `set_config(..., true)`, so
the setting is transaction-local: when the transaction ends PostgreSQL forgets it,
and a pooled connection (pgbouncer in transaction mode) cannot carry one clinic's
tenant into another clinic's request. The RLS policies read those settings, and
accept them only with the proof signed beside them (tenancy.proof): SQL running as
the runtime role cannot choose another clinic by setting them itself.

The Python side mirrors it in a ContextVar, read by TenantManager to scope querysets.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connections, transaction

from tenancy.proof import GRANT_PROOF_SETTING, GRANT_SETTING, PROOF_SETTING, sign, sign_grant

ORG_SETTING = "app.org_id"
USER_SETTING = "app.user_id"


class TenantContextError(RuntimeError):
    """Raised when code would act for a tenant other than the current one."""


@dataclass(frozen=True)
class TenantState:
    org_id: uuid.UUID | None
    user_id: uuid.UUID | None


_state: ContextVar[TenantState | None] = ContextVar("tenant_state", default=None)


def _as_uuid(value) -> uuid.UUID | None:
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return value
    if hasattr(value, "pk"):
        return _as_uuid(value.pk)
    return uuid.UUID(str(value))


def current_org_id() -> uuid.UUID | None:
    state = _state.get()
    return state.org_id if state else None


def current_user_id() -> uuid.UUID | None:
    state = _state.get()
    return state.user_id if state else None


def _merge(outer: TenantState | None, org_id, user_id) -> TenantState:
    """The state a nested context may take: it can add what the outer one lacks,
    but never switch to another organization or user mid-transaction."""
    if outer is None:
        return TenantState(org_id, user_id)
    for name, inner, current in (("organization", org_id, outer.org_id), ("user", user_id, outer.user_id)):
        if inner is not None and current is not None and inner != current:
            raise TenantContextError(f"Refusing to switch {name} inside an open tenant context.")
    return TenantState(org_id or outer.org_id, user_id or outer.user_id)


def _apply(state: TenantState | None, using: str) -> None:
    org = str(state.org_id) if state and state.org_id else ""
    user = str(state.user_id) if state and state.user_id else ""
    # The policies accept the tenant only with this transaction's proof (tenancy.proof).
    proof = sign(org, user, using=using) if org or user else ""
    set_transaction_settings({ORG_SETTING: org, USER_SETTING: user, PROOF_SETTING: proof}, using=using)


# The function every setting goes through: set_transaction_settings() calls it, and
# sets_a_setting() recognises a statement that does.
_SETTING_FUNCTION = "set_config("


def set_transaction_settings(values: dict[str, str], *, using: str = "default") -> None:
    """Set transaction-local settings (`set_config(..., true)`) in one statement: gone
    at COMMIT or ROLLBACK, so a pooled connection never carries them on. The one place
    the app sets any; the tenant through tenant_context() only."""
    calls = ", ".join([f"{_SETTING_FUNCTION}%s, %s, true)"] * len(values))
    params = [item for pair in values.items() for item in pair]
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {calls}", params)  # noqa: S608 (placeholders only)


def sets_a_setting(sql: str) -> bool:
    """Whether a statement sets a setting (a SELECT that writes, for what counts writes)."""
    return _SETTING_FUNCTION in sql


@contextmanager
def tenant_context(org=None, user=None, *, using: str = "default") -> Iterator[TenantState]:
    """Run the block as `org` (an Organization or its id) and `user`, in one transaction.

    Either may be None: a user with no organization yet sees only their own
    memberships and organizations; an API key or worker job acts with no user."""
    outer = _state.get()
    state = _merge(outer, _as_uuid(org), _as_uuid(user))
    # The outermost block ends the transaction, and PostgreSQL forgets a
    # transaction-local setting by itself then: only a nested block restores. A
    # nested block that adds nothing finds its tenant already set and proven.
    nested = connections[using].in_atomic_block
    changes = not (nested and state == outer)
    with transaction.atomic(using=using):
        if changes:
            _apply(state, using)
        token = _state.set(state)
        try:
            yield state
        finally:
            _state.reset(token)
        # Only reached on success. On an exception, or when the block was marked for
        # rollback, the atomic block rolls back (to its savepoint or entirely) and
        # PostgreSQL reverts the setting with it.
        if nested and changes and not connections[using].needs_rollback:
            _apply(outer, using)


@contextmanager
def acting_user(user, *, using: str = "default") -> Iterator[TenantState | None]:
    """Run the block as `user` where no user is proven yet: the steps of signing in,
    resetting a password or confirming an email, whose request is still anonymous.
    Inside a context that already has a user, the block runs in it unchanged (and the
    policies decide, as for any other statement)."""
    if current_user_id() is not None:
        yield _state.get()
        return
    with tenant_context(user=user, using=using) as state:
        yield state


@contextmanager
def granted(grant: str, *, using: str = "default") -> Iterator[None]:
    """Give the block one named grant, signed like the tenant: a trigger or policy
    asking `tenancy_proven_grant()` sees it; SQL running as the runtime role cannot
    forge it. Withdrawn when the block ends, so the rest of the transaction (the rest
    of a request) has it no more."""
    if not connections[using].in_atomic_block:
        raise TenantContextError("A grant needs a transaction to live in.")
    proof = sign_grant(grant, using=using)
    set_transaction_settings({GRANT_SETTING: grant, GRANT_PROOF_SETTING: proof}, using=using)
    try:
        yield
    finally:
        if not connections[using].needs_rollback:
            set_transaction_settings({GRANT_SETTING: "", GRANT_PROOF_SETTING: ""}, using=using)
