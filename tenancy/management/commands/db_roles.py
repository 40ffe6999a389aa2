"""Create or repair the database, its three roles and their grants. Idempotent.

Connects with the credentials in DATABASE_URL (or the embedded server's superuser);
needs a role allowed to create roles. See docs/security/database-roles.md."""

from __future__ import annotations

from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql

from tenancy import non_tenant, session_activity
from tenancy.database import APP_ALIAS, AUDIT_ALIAS, OWNER_ALIAS, ensure_database
from tenancy.operations import APPEND_ONLY_COMMENT, OWNER_DELETES_COMMENT, PRE_TENANT_FLAG

ROLE_ATTRIBUTES = {
    # The runtime role: RLS applies; it can become no other role.
    APP_ALIAS: "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT",
    # Owns the schema and runs migrations; FORCE RLS applies to it too.
    OWNER_ALIAS: "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION",
    # Reads every clinic's rows for the audit; may change nothing.
    AUDIT_ALIAS: "LOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT",
}


class Command(BaseCommand):
    help = "Create or repair the database roles (owner, app, audit) and their grants."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--database-name", help="Database to set up (default: the configured one).")

    def handle(self, *args, database_name: str | None = None, **options) -> None:
        server = settings.DATABASE_SERVER
        name = database_name or server.name
        try:
            with one_setup_at_a_time(server):
                if ensure_database(server, name):
                    self.stdout.write(f"Created database {name}.")
                with psycopg.connect(**server.connect_kwargs(name), autocommit=True) as conn:
                    warnings = setup_roles(conn, settings.DATABASE_ROLES)
        except psycopg.Error as exc:
            raise CommandError(f"Could not set up roles as {server.admin_user}: {exc}") from exc
        for warning in warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        roles = ", ".join(role.user for role in settings.DATABASE_ROLES.values())
        self.stdout.write(self.style.SUCCESS(f"Roles ready in {name}: {roles}."))


# pg_advisory_lock key of db_roles on the server's maintenance database ("clinic_db_roles").
SETUP_LOCK_KEY = 0x636C696E6963


@contextmanager
def one_setup_at_a_time(server):
    """Roles, their attributes and GRANT SET ON PARAMETER live in the server's shared
    catalogs, whichever database db_roles sets up: two runs at once (parallel test
    workers, two deploys) fail with "role already exists" or "tuple concurrently
    updated". A transaction's advisory lock on the maintenance database, which every run
    connects to, lets one run at a time. It is held by a transaction left open until the
    set-up is done, and goes with it, even on a crash; a session lock would outlive the
    run behind a pooler in transaction mode (PgBouncer keeps the server session), and the
    next run would wait for it for ever."""
    with psycopg.connect(**server.connect_kwargs("postgres")) as lock:
        lock.execute("SELECT pg_advisory_xact_lock(%s)", [SETUP_LOCK_KEY])
        yield


def setup_roles(conn: psycopg.Connection, roles: dict) -> list[str]:
    """Returns warnings: what the connecting role was not allowed to do."""
    app, owner, audit = (sql.Identifier(roles[alias].user) for alias in (APP_ALIAS, OWNER_ALIAS, AUDIT_ALIAS))
    for alias, attributes in ROLE_ATTRIBUTES.items():
        _ensure_role(conn, roles[alias].user, roles[alias].password, attributes)
    db = sql.Identifier(conn.info.dbname)
    statements = [
        # No role may become another: membership would hand the app the owner's powers.
        sql.SQL("REVOKE {} FROM {}").format(owner, app),
        sql.SQL("REVOKE {} FROM {}").format(audit, app),
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}, {}, {}").format(db, app, owner, audit),
        # The owner keeps the tenant-proof key in a schema of its own (tenancy.proof).
        sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(db, owner),
        sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(owner),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}, {}").format(app, audit),
        # The pre-tenant functions the owner creates turn this flag on for their call
        # (their SET clause); PostgreSQL 15+ lets a non-superuser do so only if granted.
        sql.SQL("GRANT SET ON PARAMETER {} TO {}").format(sql.Identifier(PRE_TENANT_FLAG), owner),
        sql.SQL("CREATE EXTENSION IF NOT EXISTS btree_gist"),
        sql.SQL("CREATE EXTENSION IF NOT EXISTS pg_trgm"),
    ]
    for statement in statements:
        conn.execute(statement)
    _reassign_stray_tables(conn, roles, owner)
    for statement in _grant_statements(app, owner, audit):
        conn.execute(statement)
    _keep_append_only(conn, app)
    _keep_owner_deletes(conn, app)
    _keep_non_tenant_tables(conn, app)
    _grant_lookup_functions(conn, roles, app)
    return _hide_other_sessions_queries(conn, app)


def _ensure_role(conn: psycopg.Connection, name: str, password: str, attributes: str) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone()
    verb = "ALTER" if exists else "CREATE"
    statement = sql.SQL(f"{verb} ROLE {{}} {attributes}").format(sql.Identifier(name))
    if password:
        statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
    conn.execute(statement)


def _reassign_stray_tables(conn: psycopg.Connection, roles: dict, owner: sql.Identifier) -> None:
    """Tables owned by the app or audit role (say, created by hand) go to the owner:
    an owner could switch RLS off."""
    stray = conn.execute(
        """SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'S', 'v')
             AND r.rolname = ANY(%s)""",
        [[roles[APP_ALIAS].user, roles[AUDIT_ALIAS].user]],
    ).fetchall()
    for (table,) in stray:
        conn.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(sql.Identifier(table), owner))


def _grant_statements(app, owner, audit) -> list[sql.Composed]:
    dml = sql.SQL("SELECT, INSERT, UPDATE, DELETE")
    return [
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}, {}").format(app, audit),
        sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA public TO {}").format(dml, app),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(app),
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(audit),
        # Tables the owner creates in later migrations get the same grants.
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT {} ON TABLES TO {}").format(
            owner, dml, app
        ),
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {}").format(
            owner, app
        ),
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT SELECT ON TABLES TO {}").format(
            owner, audit
        ),
        # Functions the owner creates are the pre-tenant lookups (SECURITY DEFINER):
        # the runtime role may call them, nobody else (PostgreSQL's default is PUBLIC).
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC").format(owner),
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO {}").format(
            owner, app
        ),
    ]


def _keep_append_only(conn: psycopg.Connection, app: sql.Identifier) -> None:
    """Tables declared append-only (a comment written by tenancy.operations.
    MakeAppendOnly): the runtime role keeps INSERT and SELECT only, whatever the
    blanket grants above gave it."""
    tables = conn.execute(
        """SELECT c.relname FROM pg_class c
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
             AND obj_description(c.oid, 'pg_class') = %s""",
        [APPEND_ONLY_COMMENT],
    ).fetchall()
    for (table,) in tables:
        revoke = sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}, PUBLIC")
        conn.execute(revoke.format(sql.Identifier(table), app))


def _keep_owner_deletes(conn: psycopg.Connection, app: sql.Identifier) -> None:
    """Tables only the owner role deletes from (a comment written by tenancy.operations.
    ReserveDeletesToOwner: the organizations, whose deletion cascades to a whole
    clinic): the runtime role keeps no DELETE or TRUNCATE there."""
    tables = conn.execute(
        """SELECT c.relname FROM pg_class c
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
             AND obj_description(c.oid, 'pg_class') = %s""",
        [OWNER_DELETES_COMMENT],
    ).fetchall()
    for (table,) in tables:
        conn.execute(sql.SQL("REVOKE DELETE, TRUNCATE ON {} FROM {}, PUBLIC").format(sql.Identifier(table), app))


def _keep_non_tenant_tables(conn: psycopg.Connection, app: sql.Identifier) -> None:
    """Tables without organization_id declared read-only, append-only or no-access
    (NON_TENANT_TABLES): take back what the blanket grants above gave the runtime role.
    A table not created yet (before the first migrate) is skipped; run db_roles again."""
    for declaration in non_tenant.declarations().values():
        if not declaration.revoke:
            continue
        (regclass,) = conn.execute("SELECT to_regclass(%s)::text", [declaration.table]).fetchone()
        if regclass is None:
            continue
        revoke = sql.SQL("REVOKE {} ON {} FROM {}, PUBLIC").format(
            sql.SQL(", ").join(sql.SQL(p) for p in declaration.revoke), sql.SQL(regclass), app
        )
        conn.execute(revoke)


def _hide_other_sessions_queries(conn: psycopg.Connection, app: sql.Identifier) -> list[str]:
    """Every web and worker connection is the runtime role, and PostgreSQL shows a role
    its own sessions' queries: revoke what shows them (tenancy.session_activity) from
    PUBLIC, and from the runtime role (pg_stat_statements' view, when the extension is
    in public, got the blanket grants above). They are per-database catalog objects, owned by the bootstrap
    superuser; a connecting role that is not one cannot revoke (PostgreSQL then only
    warns), so the result is checked, and what is still open is returned as a warning
    (`rls_audit` fails on it)."""
    sources = session_activity.query_text_sources(conn.cursor())
    for source in sources:
        revoke = sql.SQL("REVOKE {} ON {} {} FROM PUBLIC, {}").format(
            sql.SQL(source.privilege), sql.SQL(source.object_type), sql.SQL(source.name), app
        )
        try:
            with conn.transaction():
                conn.execute(revoke)
        except psycopg.errors.InsufficientPrivilege:
            pass  # reported below, with anything else that is still open
    still_open = session_activity.usable_by(conn.cursor(), "public")
    if not still_open:
        return []
    return [
        f"{conn.info.user} may not revoke PUBLIC's access to other sessions' query text "
        f"({', '.join(still_open)}); run db_roles as a superuser, or the runtime role can read "
        "every request's SQL as it runs (rls_audit fails until then)."
    ]


def _grant_lookup_functions(conn: psycopg.Connection, roles: dict, app: sql.Identifier) -> None:
    """The functions the owner created already (the pre-tenant lookups of the
    migrations): EXECUTE for the runtime role only."""
    functions = conn.execute(
        """SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
           WHERE p.pronamespace = 'public'::regnamespace AND r.rolname = %s""",
        [roles[OWNER_ALIAS].user],
    ).fetchall()
    for (signature,) in functions:
        conn.execute(sql.SQL("REVOKE ALL ON FUNCTION {} FROM PUBLIC").format(sql.SQL(signature)))
        conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(sql.SQL(signature), app))
