"""What the PostgreSQL catalog says about tenant isolation.

Shared by the system checks, /readyz and `rls_audit`, so all three recompute the
same facts from the database rather than trusting a report."""

from __future__ import annotations

from dataclasses import dataclass

from tenancy.non_tenant import COLUMN_PRIVILEGES, TABLE_PRIVILEGES, TableFacts
from tenancy.operations import APPEND_ONLY_COMMENT, PLATFORM_UNIQUE_COMMENT, PRE_TENANT_FLAG

ORG_TABLE = "tenancy_organization"
ORG_COLUMN = "organization_id"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class TableSecurity:
    table: str
    rls_enabled: bool
    rls_forced: bool
    policies: int
    org_nullable: bool | None  # None for the organizations table itself
    # Policies that read the tenant settings themselves instead of asking
    # tenancy_proven_org() / tenancy_proven_user(): any SQL could set those settings.
    unproven_policies: tuple[str, ...] = ()

    @property
    def covered(self) -> bool:
        return self.rls_enabled and self.rls_forced and self.policies > 0 and not self.unproven_policies


def table_security(cursor) -> list[TableSecurity]:
    """Every table with an organization_id column, plus the organizations table."""
    cursor.execute(
        """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
               (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid),
               CASE WHEN c.relname = %(org_table)s THEN NULL ELSE NOT a.attnotnull END,
               ARRAY(SELECT p.polname FROM pg_policy p
                     WHERE p.polrelid = c.oid
                       AND concat(pg_get_expr(p.polqual, p.polrelid), ' ', pg_get_expr(p.polwithcheck, p.polrelid))
                           ~ 'app\\.(org|user)_id'
                     ORDER BY 1)
        FROM pg_class c
        LEFT JOIN pg_attribute a
               ON a.attrelid = c.oid AND a.attname = %(org_column)s AND NOT a.attisdropped
        WHERE c.relnamespace = current_schema()::regnamespace
          AND c.relkind IN ('r', 'p')
          AND (a.attname IS NOT NULL OR c.relname = %(org_table)s)
        ORDER BY c.relname
        """,
        {"org_table": ORG_TABLE, "org_column": ORG_COLUMN},
    )
    return [TableSecurity(*row[:5], unproven_policies=tuple(row[5])) for row in cursor.fetchall()]


def foreign_keys_without_cascade(cursor) -> list[str]:
    """Foreign keys to the organizations table that do not cascade on delete."""
    cursor.execute(
        """
        SELECT conrelid::regclass::text || ' (' || conname || ')'
        FROM pg_constraint
        WHERE contype = 'f' AND confrelid = %s::regclass AND confdeltype <> 'c'
          AND connamespace = current_schema()::regnamespace
        ORDER BY 1
        """,
        [ORG_TABLE],
    )
    return [row[0] for row in cursor.fetchall()]


def tables_without_org_foreign_key(cursor) -> list[str]:
    """Tenant tables whose organization_id is not a foreign key to the organizations table."""
    cursor.execute(
        """
        SELECT c.relname FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = %s AND NOT a.attisdropped
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
          AND NOT EXISTS (
            SELECT 1 FROM pg_constraint k
            WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.confrelid = %s::regclass
              AND k.conkey = ARRAY[a.attnum])
        ORDER BY 1
        """,
        [ORG_COLUMN, ORG_TABLE],
    )
    return [row[0] for row in cursor.fetchall()]


def single_column_tenant_foreign_keys(cursor) -> list[str]:
    """Foreign keys between two tenant tables that leave organization_id out: the
    database would accept a row pointing into another organization."""
    cursor.execute(
        """
        SELECT k.conrelid::regclass::text || ' (' || k.conname || ')'
        FROM pg_constraint k
        JOIN pg_attribute child ON child.attrelid = k.conrelid AND child.attname = %(col)s
        JOIN pg_attribute parent ON parent.attrelid = k.confrelid AND parent.attname = %(col)s
        WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace
          AND NOT (child.attnum = ANY (k.conkey) AND parent.attnum = ANY (k.confkey))
        ORDER BY 1
        """,
        {"col": ORG_COLUMN},
    )
    return [row[0] for row in cursor.fetchall()]


def unique_constraints_without_org(cursor, *, platform_unique: bool = False) -> list[str]:
    """UNIQUE indexes on tenant tables that leave organization_id out: a
    cross-tenant existence oracle (and not distributable by organization).

    Constraints declared platform-wide routing keys (tenancy.operations.
    MarkPlatformUnique) are left out, or listed alone with `platform_unique`."""
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = %s AND NOT a.attisdropped
        WHERE i.indisunique AND NOT i.indisprimary
          AND c.relnamespace = current_schema()::regnamespace
          AND NOT (a.attnum = ANY (i.indkey::int2[]))
          AND (obj_description(i.indexrelid, 'pg_class') IS NOT DISTINCT FROM %s) = %s
        ORDER BY 1
        """,
        [ORG_COLUMN, PLATFORM_UNIQUE_COMMENT, platform_unique],
    )
    return [row[0] for row in cursor.fetchall()]


def tables_without_org_leading_index(cursor) -> list[str]:
    cursor.execute(
        """
        SELECT c.relname FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = %s AND NOT a.attisdropped
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
          AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indkey[0] = a.attnum)
        ORDER BY 1
        """,
        [ORG_COLUMN],
    )
    return [row[0] for row in cursor.fetchall()]


def orphan_counts(cursor, tables: list[str]) -> dict[str, int]:
    """Rows whose organization no longer exists. Needs a role that sees every
    organization's rows (the audit role)."""
    counts = {}
    for table in tables:
        if table == ORG_TABLE:
            continue
        cursor.execute(
            f"SELECT count(*) FROM {quote_identifier(table)} t "
            f"WHERE NOT EXISTS (SELECT 1 FROM {ORG_TABLE} o WHERE o.id = t.{ORG_COLUMN})"
        )
        counts[table] = cursor.fetchone()[0]
    return counts


def role_bypass_problems(cursor) -> list[str]:
    """Why the connected role could escape row-level security, if it could: it (or a
    role it can become) is a superuser, has BYPASSRLS, or owns tables here."""
    cursor.execute(
        """
        SELECT r.rolname, r.rolsuper, r.rolbypassrls,
               (SELECT count(*) FROM pg_class c
                 WHERE c.relowner = r.oid AND c.relnamespace = current_schema()::regnamespace
                   AND c.relkind IN ('r', 'p'))
        FROM pg_roles r
        WHERE pg_has_role(current_user, r.oid, 'MEMBER')
        ORDER BY r.rolname
        """
    )
    problems = []
    for name, superuser, bypass, owned in cursor.fetchall():
        if superuser:
            problems.append(f"role {name} is a superuser")
        if bypass:
            problems.append(f"role {name} has BYPASSRLS")
        if owned:
            problems.append(f"role {name} owns {owned} table(s), and owners can disable RLS")
    return problems


@dataclass(frozen=True)
class DefinerFunction:
    """A SECURITY DEFINER function: runs with its owner's rights, so each one must be a
    narrow pre-tenant lookup (or one of the tenant-proof functions the policies call)
    with a fixed search_path that PUBLIC cannot call."""

    signature: str
    fixed_search_path: bool
    public_execute: bool
    pre_tenant_lookup: bool


def security_definer_functions(cursor) -> list[DefinerFunction]:
    cursor.execute(
        """
        SELECT p.oid::regprocedure::text,
               EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%%'),
               p.proacl IS NULL OR EXISTS (
                   SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'),
               EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE %(flag)s)
        FROM pg_proc p
        WHERE p.prosecdef AND p.pronamespace = current_schema()::regnamespace
        ORDER BY 1
        """,
        {"flag": f"{PRE_TENANT_FLAG}=%"},
    )
    return [DefinerFunction(*row) for row in cursor.fetchall()]


@dataclass(frozen=True)
class AppendOnlyTable:
    """A table declared append-only (tenancy.operations.MakeAppendOnly), and the
    roles other than its owner that could still rewrite it (should be none)."""

    table: str
    writers: tuple[str, ...]


def append_only_tables(cursor) -> list[AppendOnlyTable]:
    cursor.execute(
        """
        SELECT c.relname,
               ARRAY(SELECT DISTINCT COALESCE(r.rolname, 'PUBLIC') || ': ' || a.privilege_type
                     FROM aclexplode(COALESCE(c.relacl, acldefault('r', c.relowner))) a
                     LEFT JOIN pg_roles r ON r.oid = a.grantee
                     WHERE a.grantee <> c.relowner AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
                     ORDER BY 1)
        FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
          AND obj_description(c.oid, 'pg_class') = %s
        ORDER BY 1
        """,
        [APPEND_ONLY_COMMENT],
    )
    return [AppendOnlyTable(table, tuple(writers)) for table, writers in cursor.fetchall()]


def current_role_may_rewrite(cursor, table: str) -> list[str]:
    """The privileges among UPDATE, DELETE and TRUNCATE the connected role holds on `table`."""
    cursor.execute(
        "SELECT p FROM unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) p "
        "WHERE has_table_privilege(current_user, %s::regclass, p)",
        [quote_identifier(table)],
    )
    return [row[0] for row in cursor.fetchall()]


def non_tenant_table_facts(cursor, role: str) -> list[TableFacts]:
    """Every relation a connection could reach that row-level security by organization
    does not cover: tables here without organization_id (the organizations table
    among them), views, and tables in any other schema but the system's. With the
    privileges `role` holds on each, directly or through PUBLIC."""
    cursor.execute(
        """
        SELECT CASE WHEN n.oid = current_schema()::regnamespace THEN c.relname
                    ELSE n.nspname || '.' || c.relname END,
               c.relrowsecurity,
               (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid),
               ARRAY(SELECT p.polname FROM pg_policy p
                     WHERE p.polrelid = c.oid
                       AND concat(pg_get_expr(p.polqual, p.polrelid), ' ', pg_get_expr(p.polwithcheck, p.polrelid))
                           ~ 'app\\.(org|user)_id'
                     ORDER BY 1),
               ARRAY(SELECT p FROM unnest(%(table_privileges)s::text[]) p
                     WHERE has_table_privilege(%(role)s, c.oid, p)
                        OR (p = ANY (%(column_privileges)s::text[]) AND has_any_column_privilege(%(role)s, c.oid, p)))
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp\\_%%'
          AND NOT (n.oid = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND EXISTS (
                SELECT 1 FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attname = %(org_column)s AND NOT a.attisdropped))
        ORDER BY 1
        """,
        {
            "role": role,
            "table_privileges": list(TABLE_PRIVILEGES),
            "column_privileges": list(COLUMN_PRIVILEGES),
            "org_column": ORG_COLUMN,
        },
    )
    return [
        TableFacts(table, enabled, policies, tuple(unproven), frozenset(privileges))
        for table, enabled, policies, unproven, privileges in cursor.fetchall()
    ]
