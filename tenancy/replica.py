"""Reads that write nothing, sent to a read replica when there is one.

With `DATABASE_REPLICA_URL` set, a `replica` alias connects to a standby as the
runtime role (tenancy.database.replica_database). Nothing goes there by itself: a
surface opts in, read by read, with `replica_reads()`:

    with replica_reads() as using:
        rows = list(queryset.using(using))

The block is a tenant context on the replica's connection, in a read-only transaction
of its own: the same `set_config` and proof as on the primary (tenancy.context), signed
for the replica's backend and transaction, so the same policies decide what it shows.
Nothing in that path writes, which a standby would refuse. What the surface writes (an
audit event) still goes to the primary, in the request's transaction.

The block reads from the primary instead (and opens nothing) when:
- there is no replica alias: everything behaves as without this module;
- the replica takes no connection (a standby down or being rebuilt);
- this request has written (read-your-writes): its transaction on the primary is not
  committed, so no standby has it;
- this session wrote less than `REPLICA_READ_YOUR_WRITES_SECONDS` ago: a standby may
  lag behind the commit, and a person who has just saved a change expects to see it.

A read that feeds a write never uses it: what a write decides on must be read in the
write's own transaction, on the primary. `ReadYourWritesMiddleware` notes which
requests wrote."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.http import HttpRequest, HttpResponse

from tenancy.context import current_org_id, current_user_id, sets_a_setting, tenant_context
from tenancy.database import REPLICA_ALIAS
from tenancy.request_transaction import _reads_only

# When this session last wrote (seconds since the epoch), kept in the session.
SESSION_WROTE_AT_KEY = "_tenancy_wrote_at"

logger = logging.getLogger(__name__)


class _Request:
    """What routing knows of the request being served."""

    __slots__ = ("primary_only", "wrote")

    def __init__(self, primary_only: bool) -> None:
        self.primary_only = primary_only
        self.wrote = False


_serving: ContextVar[_Request | None] = ContextVar("replica_request", default=None)


def replica_configured() -> bool:
    return REPLICA_ALIAS in connections.settings


def read_alias() -> str:
    """Where a read that writes nothing may go now: the replica, or the primary."""
    if not replica_configured():
        return DEFAULT_DB_ALIAS
    request = _serving.get()
    if request is not None:
        return DEFAULT_DB_ALIAS if request.primary_only or request.wrote else REPLICA_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block and _transaction_has_written():
        return DEFAULT_DB_ALIAS
    return REPLICA_ALIAS


def _transaction_has_written() -> bool:
    """Whether the primary's open transaction wrote anything: PostgreSQL gives a
    transaction an id at its first write (or row lock), never before. Covers writes
    outside a request (a job that writes, then reads)."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")
        return cursor.fetchone()[0]


@contextmanager
def replica_reads() -> Iterator[str]:
    """The alias for the block's reads (see the module's docstring): on the replica,
    inside the current tenant in a read-only transaction there; else the primary, in
    the transaction already open."""
    alias = read_alias()
    if alias != DEFAULT_DB_ALIAS and not _reachable(alias):
        alias = DEFAULT_DB_ALIAS
    if alias == DEFAULT_DB_ALIAS:
        yield alias
        return
    with tenant_context(org=current_org_id(), user=current_user_id(), using=alias):
        yield alias


def _reachable(alias: str) -> bool:
    """Whether the replica takes a connection: while it does not (a standby down or
    being rebuilt), its reads go to the primary rather than fail."""
    try:
        connections[alias].ensure_connection()
    except OperationalError:
        logger.warning("The read replica is unreachable: reading from the primary.")
        return False
    return True


class ReadYourWritesMiddleware:
    """Notes a request's writes on the primary, so its own reads, and for a while its
    session's, stay there (see the module's docstring). Not used without a replica."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        wrote_at = session.get(SESSION_WROTE_AT_KEY, 0) if session is not None else 0
        window = settings.REPLICA_READ_YOUR_WRITES_SECONDS
        state = _Request(primary_only=time.time() - wrote_at < window)
        token = _serving.set(state)
        try:
            with connections[DEFAULT_DB_ALIAS].execute_wrapper(_noting_writes(state)):
                response = self.get_response(request)
        finally:
            _serving.reset(token)
        # Only a session that exists: a request with an API key has none, and must not
        # be given one (a row and a cookie per write).
        if state.wrote and session is not None and session.session_key:
            session[SESSION_WROTE_AT_KEY] = time.time()
        return response


def _noting_writes(state: _Request):
    def wrapper(execute, sql, params, many, context):
        if not state.wrote and _writes(sql):
            state.wrote = True
        return execute(sql, params, many, context)

    return wrapper


# Statements that change no row: a savepoint's, and the tenant's settings (transaction-local).
_NOT_WRITING = ("SAVEPOINT", "RELEASE", "ROLLBACK")


def _writes(sql: str) -> bool:
    if _reads_only(sql) or sets_a_setting(sql):
        return False
    return not sql.lstrip()[:9].upper().startswith(_NOT_WRITING)
