"""A signed-in request's view joins the transaction the tenant middleware opened,
and takes a savepoint in it only before its first write.

ATOMIC_REQUESTS wraps every view in `transaction.atomic()`. For a signed-in request
the tenant middleware has already opened the request's transaction (its tenant
context, tenancy.middleware), so that atomic would be a savepoint: SAVEPOINT and
RELEASE on every page, two of a page's ten or so statements, although most pages only
read. What the savepoint is for: a view that raises must keep none of its writes,
while the transaction stays usable for what follows (the audit trail records a
refused page, `view_denied`, after the view failed; the error page renders).

So inside that transaction the view runs in `ViewInRequestTransaction`: the
savepoint is taken lazily, just before the view's first statement that is not a plain
read (anything but a SELECT, or a SELECT that sets a setting), and never released (it
ends with the transaction, so RELEASE would only cost a statement). If the view
raises, or asks for its writes to be undone (`transaction.set_rollback`, as DRF does
for the errors it answers), the transaction goes back to that savepoint; if it had
written nothing, there is nothing to undo, unless a statement failed, and then the
whole transaction is marked for rollback, as an atomic block without a savepoint
would be.

What a view records of having been shown (the audit trail's `view` event) needs no
savepoint: `after_view` keeps it until the view has returned without error and without
asking for its writes to be undone, then writes it in the same transaction, after the
savepoint logic: a page shown is a page recorded, and a view that failed records
nothing. Outside such a view (a plain atomic, no request) it is written at once.

Django offers no setting for this: `BaseHandler.make_view_atomic` is replaced once, at
start-up (TenancyConfig.ready), and differs from Django's only while the tenant
middleware's transaction is open (`joining_request_transaction`)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from asgiref.sync import iscoroutinefunction
from django.core.handlers.base import BaseHandler
from django.db import DatabaseError, connections, transaction

from tenancy.context import sets_a_setting

# The alias whose request transaction the tenant middleware opened, while it is open.
_open_request_transaction: ContextVar[str | None] = ContextVar("open_request_transaction", default=None)
# What the running view asked to be written once it has returned (after_view).
_after_view: ContextVar[list[Callable[[], object]] | None] = ContextVar("after_view", default=None)


def after_view(write: Callable[[], object]) -> None:
    """Run `write` in the request's transaction once the view running in it has
    returned without error (see the module's docstring); at once if none is running."""
    pending = _after_view.get()
    if pending is None:
        write()
    else:
        pending.append(write)


@contextmanager
def joining_request_transaction(using: str) -> Iterator[None]:
    """While the block runs, the view's ATOMIC_REQUESTS atomic on `using` joins the
    transaction already open there instead of taking a savepoint."""
    token = _open_request_transaction.set(using)
    try:
        yield
    finally:
        _open_request_transaction.reset(token)


class ViewInRequestTransaction:
    """Run a view in the open transaction on `using`, with a savepoint before its first
    write (see the module's docstring)."""

    def __init__(self, using: str) -> None:
        self.connection = connections[using]
        self.savepoint_id: str | None = None
        self.taking_savepoint = False

    def __call__(self, view):
        @functools.wraps(view)
        def run(*args, **kwargs):
            pending: list[Callable[[], object]] = []
            token = _after_view.set(pending)
            try:
                with self.connection.execute_wrapper(self._savepoint_before_writes):
                    response = view(*args, **kwargs)
            except Exception as exc:
                self._undo(exc)
                raise
            finally:
                _after_view.reset(token)
            if self.connection.needs_rollback:
                # The view asked for its writes to be undone (transaction.set_rollback,
                # as DRF does for the errors it answers): back to before them, or, if
                # it only read, nothing to undo. Either way the transaction goes on,
                # without what the view meant to record of its success.
                self._undo_writes()
                return response
            self._write_after_view(pending)
            return response

        return run

    def _savepoint_before_writes(self, execute, sql, params, many, context):
        if self.savepoint_id is None and not self.taking_savepoint and not _reads_only(sql):
            self.taking_savepoint = True  # the SAVEPOINT statement passes through here too
            self.savepoint_id = self.connection.savepoint()
        return execute(sql, params, many, context)

    def _write_after_view(self, pending: list[Callable[[], object]]) -> None:
        try:
            for write in pending:
                write()
        except Exception as exc:
            # The page fails as if the view had: none of its writes are kept.
            self._undo(exc)
            raise

    def _undo(self, exc: Exception) -> None:
        if self.savepoint_id is not None:
            self._undo_writes()
        elif isinstance(exc, DatabaseError):
            # A failed statement aborted the transaction, and there is no savepoint
            # to return to: only a rollback of all of it ends it.
            self.connection.needs_rollback = True

    def _undo_writes(self) -> None:
        # Cleared first: Django refuses any statement, the rollback too, while it is set.
        self.connection.needs_rollback = False
        if self.savepoint_id is not None:
            self.connection.savepoint_rollback(self.savepoint_id)


# SELECTs that change something besides a setting (tenancy.context.sets_a_setting): a
# sequence, or a job queue whose functions insert (procrastinate's defer and retry are
# SELECTs of its functions).
_WRITING_SELECTS = ("nextval(", "setval(", "procrastinate_")


def _reads_only(sql: str) -> bool:
    # A UNION of SELECTs opens with a parenthesis.
    statement = sql.lstrip(" \t\n(")[:6].upper()
    if statement != "SELECT" or sets_a_setting(sql):
        return False
    return not any(marker in sql for marker in _WRITING_SELECTS)


def make_view_atomic(handler: BaseHandler, view):
    """Django's BaseHandler.make_view_atomic, but joining the open request transaction."""
    joined = _open_request_transaction.get()
    non_atomic_requests = getattr(view, "_non_atomic_requests", set())
    for alias, settings_dict in connections.settings.items():
        if settings_dict["ATOMIC_REQUESTS"] and alias not in non_atomic_requests:
            if iscoroutinefunction(view):
                raise RuntimeError("You cannot use ATOMIC_REQUESTS with async views.")
            if alias == joined and connections[alias].in_atomic_block:
                view = ViewInRequestTransaction(alias)(view)
            else:
                view = transaction.atomic(using=alias)(view)
    return view


def install() -> None:
    BaseHandler.make_view_atomic = make_view_atomic
