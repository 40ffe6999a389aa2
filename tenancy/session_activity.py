"""The catalog objects that show other sessions' query text.

PostgreSQL shows any role the current query of every session of that same role, and
every web and worker connection is the runtime role: SQL injection in one request
could read another request's statements, parameters included (Django binds them
client-side), as they run. `manage.py db_roles` revokes these from PUBLIC in each
database; `rls_audit` fails while the runtime role may still use one.

Checked against PostgreSQL 15 to 18: of the pg_stat_* views and functions, only these
return query text (the other pg_stat_get_backend_* functions return ids, times,
addresses and wait events; pg_stat_ssl, pg_stat_gssapi and pg_stat_replication read
pg_stat_get_activity too but show no query, and fail for the runtime role once it
may not call that function). pg_cursors and pg_prepared_statements show the caller's
own session only."""

from __future__ import annotations

from dataclasses import dataclass

VIEWS = ("pg_catalog.pg_stat_activity",)
FUNCTIONS = (
    "pg_catalog.pg_stat_get_activity(integer)",
    "pg_catalog.pg_stat_get_backend_activity(integer)",
)
# The pg_stat_statements extension, where installed, keeps every statement's text.
STATEMENTS_EXTENSION = "pg_stat_statements"


@dataclass(frozen=True)
class QueryTextSource:
    kind: str  # "view" or "function"
    name: str  # as PostgreSQL prints it: a regclass, or a regprocedure signature

    @property
    def privilege(self) -> str:
        return "SELECT" if self.kind == "view" else "EXECUTE"

    @property
    def object_type(self) -> str:
        """The word GRANT and REVOKE take before the name."""
        return "TABLE" if self.kind == "view" else "FUNCTION"


def query_text_sources(cursor) -> list[QueryTextSource]:
    """The built-in sources, plus pg_stat_statements' view and function if the
    extension is installed in this database."""
    cursor.execute(
        """
        SELECT 'view', c.oid::regclass::text FROM pg_class c
        JOIN pg_extension e ON e.extnamespace = c.relnamespace
        WHERE e.extname = %(extension)s AND c.relname = %(extension)s
        UNION ALL
        SELECT 'function', p.oid::regprocedure::text FROM pg_proc p
        JOIN pg_extension e ON e.extnamespace = p.pronamespace
        WHERE e.extname = %(extension)s AND p.proname = %(extension)s
        ORDER BY 1, 2
        """,
        {"extension": STATEMENTS_EXTENSION},
    )
    extension = [QueryTextSource(kind, name) for kind, name in cursor.fetchall()]
    builtin = [QueryTextSource("view", name) for name in VIEWS]
    builtin += [QueryTextSource("function", name) for name in FUNCTIONS]
    return builtin + extension


def usable_by(cursor, role: str) -> list[str]:
    """The sources `role` (or PUBLIC, with role 'public') may still read or call."""
    usable = []
    for source in query_text_sources(cursor):
        check = "has_table_privilege" if source.kind == "view" else "has_function_privilege"
        cast = "regclass" if source.kind == "view" else "regprocedure"
        cursor.execute(f"SELECT {check}(%s, %s::{cast}, %s)", [role, source.name, source.privilege])
        if cursor.fetchone()[0]:
            usable.append(f"{source.name} ({source.privilege})")
    return usable
