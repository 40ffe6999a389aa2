"""Tables without organization_id, and what protects each from SQL run as the runtime role.

Row-level security by organization covers the tenant tables. Every other table a
runtime-role connection can reach is declared in the setting NON_TENANT_TABLES, one
entry per table: `"name": (kind, reason)`, with `"schema.name"` outside the current
schema. The kinds are what `manage.py rls_audit` can check in the catalog:

- `rls`: ROW LEVEL SECURITY enabled, at least one policy, and no policy reading
  app.org_id / app.user_id without asking for the proven tenant;
- `read-only`: the runtime role may SELECT, and neither INSERT, UPDATE, DELETE,
  TRUNCATE nor create triggers (framework tables written only by migrate);
- `append-only`: INSERT and SELECT, nothing that rewrites or removes a row;
- `no-access`: no privilege at all;
- `open`: the runtime role's ordinary SELECT, INSERT, UPDATE and DELETE and nothing
  more; the reason says why that is safe.

`manage.py db_roles` takes the privileges of the read-only, append-only and no-access
kinds away after its blanket grants; the audit fails on a table without
organization_id that is not declared, and on one whose declared kind does not hold."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Privileges on a table, for has_table_privilege; the column-level ones (a GRANT
# UPDATE (col)) count too, through has_any_column_privilege.
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
COLUMN_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "REFERENCES")

# What the runtime role may hold on a table of each kind (None: anything; RLS decides).
ALLOWED = {
    "rls": None,
    "read-only": frozenset({"SELECT", "REFERENCES"}),
    "append-only": frozenset({"SELECT", "INSERT", "REFERENCES"}),
    "no-access": frozenset(),
    "open": frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
}
KINDS = tuple(ALLOWED)


@dataclass(frozen=True)
class Declaration:
    table: str
    kind: str
    reason: str

    @property
    def revoke(self) -> tuple[str, ...]:
        """The privileges db_roles takes from the runtime role (and PUBLIC) after its
        blanket grants. Open and rls tables keep the grants."""
        allowed = ALLOWED[self.kind]
        if allowed is None or self.kind == "open":
            return ()
        return tuple(p for p in TABLE_PRIVILEGES if p not in allowed)


def declarations() -> dict[str, Declaration]:
    """NON_TENANT_TABLES, checked: every kind known, every reason given."""
    declared = {}
    for table, entry in getattr(settings, "NON_TENANT_TABLES", {}).items():
        try:
            kind, reason = entry
        except (TypeError, ValueError):
            raise ImproperlyConfigured(f"NON_TENANT_TABLES[{table!r}] must be (kind, reason).") from None
        if kind not in ALLOWED:
            raise ImproperlyConfigured(f"NON_TENANT_TABLES[{table!r}]: unknown kind {kind!r}; one of {KINDS}.")
        if not str(reason).strip():
            raise ImproperlyConfigured(f"NON_TENANT_TABLES[{table!r}]: give the reason it is safe.")
        declared[table] = Declaration(table, kind, str(reason))
    return declared


@dataclass(frozen=True)
class TableFacts:
    """What the catalog says about one table without organization_id."""

    table: str
    rls_enabled: bool
    policies: int
    unproven_policies: tuple[str, ...]
    privileges: frozenset[str]  # the runtime role's, table- or column-level


def problems(declaration: Declaration, facts: TableFacts) -> list[str]:
    """Why the declared kind does not hold (none when it does)."""
    found = []
    if declaration.kind == "rls":
        if not facts.rls_enabled:
            found.append("row-level security is not enabled")
        if not facts.policies:
            found.append("no policy")
        found += [f"policy {name} reads app.org_id / app.user_id without the proof" for name in facts.unproven_policies]
    else:
        extra = sorted(facts.privileges - ALLOWED[declaration.kind])
        if extra:
            found.append(f"the runtime role may {', '.join(extra)}")
    return found


def review(facts: list[TableFacts], declared: dict[str, Declaration]) -> list[dict]:
    """One entry per table found: its declared kind and reason (None if undeclared)
    and the check's result, "ok" or what is wrong."""
    rows = []
    for table in facts:
        declaration = declared.get(table.table)
        if declaration is None:
            rows.append({"table": table.table, "kind": None, "reason": None, "check": "not declared"})
            continue
        found = problems(declaration, table)
        check = f"declared {declaration.kind}, but {'; '.join(found)}" if found else "ok"
        rows.append({"table": table.table, "kind": declaration.kind, "reason": declaration.reason, "check": check})
    return rows
