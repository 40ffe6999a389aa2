"""One factory per concrete TenantModel, used by the isolation coverage test.

Each factory creates a valid row in the current tenant context. A tenant model
without a factory here fails tests/test_tenant_coverage.py: a new model must prove
its isolation before it lands."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from django.db.models import Model

_counter = itertools.count()


def _ledger() -> Model:
    from tests.tenant_app.models import Ledger

    return Ledger.objects.create(name=f"Ledger {next(_counter)}")


def _entry() -> Model:
    from tests.tenant_app.models import Entry

    return Entry.objects.create(ledger=_ledger(), amount=next(_counter))


TENANT_FACTORIES: dict[str, Callable[[], Model]] = {
    "tenant_app.Ledger": _ledger,
    "tenant_app.Entry": _entry,
}
