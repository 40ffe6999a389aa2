"""Migration operations for tenant tables, in the shape of
django.contrib.postgres.operations: reversible, vendor-checked, quoted names."""

from __future__ import annotations

from django.db import models
from django.db.backends.utils import names_digest, truncate_name
from django.db.migrations.operations.base import Operation

# The tenant as the policies see it: `app.org_id` / `app.user_id` only when signed by
# the app server for this transaction (tenancy.proof), else NULL. A scalar subquery,
# so PostgreSQL calls the function once per statement (an InitPlan) and can still
# use `organization_id = $1` as an index condition.
PROVEN_ORG_SQL = "(SELECT tenancy_proven_org())"
PROVEN_USER_SQL = "(SELECT tenancy_proven_user())"
# What the policies trusted before proofs (kept for going backwards).
UNPROVEN_ORG_SQL = "NULLIF(current_setting('app.org_id', true), '')::uuid"
TENANT_POLICY = "tenant_isolation"

# The proof check, in each of the two functions the policies call: recompute the HMAC
# of tenancy.proof.proof_for's message from the key's pads, kept in a schema of the
# owner's that the runtime role has no USAGE on, and answer the setting only if the
# proof matches. PL/pgSQL, whose plans are cached per session: a check costs a few
# microseconds, once per statement and table, so it is one expression on purpose (each
# PL/pgSQL expression is an executor run; a regex check of the proof's format cost more
# than the HMAC). The proof is compared as hex text, so a garbled one simply differs;
# both sides are hashed once more before comparing, so the comparison's timing tells
# nothing about how much of a guess was right.
_PROVEN_SETTING_FUNCTION = """CREATE OR REPLACE FUNCTION {function}() RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    key record;
BEGIN
    SELECT k.inner_pad, k.outer_pad INTO key FROM tenancy_private.context_key k WHERE k.id = 1;
    IF sha256(convert_to(encode(sha256(key.outer_pad || sha256(key.inner_pad || convert_to(
           'v1|' || coalesce(current_setting('app.org_id', true), '')
           || '|' || coalesce(current_setting('app.user_id', true), '')
           || '|' || pg_backend_pid()::text
           || '|' || ((extract(epoch FROM transaction_timestamp()) * 1000000)::bigint)::text,
           'UTF8'))), 'hex'), 'UTF8'))
       = sha256(convert_to(current_setting('app.context_proof', true), 'UTF8')) THEN
        RETURN NULLIF(current_setting('{setting}', true), '')::uuid;
    END IF;
    RETURN NULL;
END
$$"""

# A grant (tenancy.context.granted): the named grant when the app server
# signed it for this transaction, else NULL. The same HMAC over another message.
_PROVEN_GRANT_FUNCTION = """CREATE OR REPLACE FUNCTION tenancy_proven_grant() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    key record;
BEGIN
    SELECT k.inner_pad, k.outer_pad INTO key FROM tenancy_private.context_key k WHERE k.id = 1;
    IF sha256(convert_to(encode(sha256(key.outer_pad || sha256(key.inner_pad || convert_to(
           'v1|grant|' || coalesce(current_setting('app.grant', true), '')
           || '|' || pg_backend_pid()::text
           || '|' || ((extract(epoch FROM transaction_timestamp()) * 1000000)::bigint)::text,
           'UTF8'))), 'hex'), 'UTF8'))
       = sha256(convert_to(current_setting('app.grant_proof', true), 'UTF8')) THEN
        RETURN NULLIF(current_setting('app.grant', true), '');
    END IF;
    RETURN NULL;
END
$$"""

PROOF_MACHINERY = [
    "CREATE SCHEMA IF NOT EXISTS tenancy_private",
    "REVOKE ALL ON SCHEMA tenancy_private FROM PUBLIC",
    """CREATE TABLE IF NOT EXISTS tenancy_private.context_key (
        id smallint PRIMARY KEY CHECK (id = 1),
        inner_pad bytea NOT NULL CHECK (length(inner_pad) = 64),
        outer_pad bytea NOT NULL CHECK (length(outer_pad) = 64))""",
    "REVOKE ALL ON tenancy_private.context_key FROM PUBLIC",
    _PROVEN_SETTING_FUNCTION.format(function="tenancy_proven_org", setting="app.org_id"),
    _PROVEN_SETTING_FUNCTION.format(function="tenancy_proven_user", setting="app.user_id"),
    _PROVEN_GRANT_FUNCTION,
    "REVOKE ALL ON FUNCTION tenancy_proven_org(), tenancy_proven_user(), tenancy_proven_grant() FROM PUBLIC",
]


def install_proof_machinery(schema_editor) -> None:
    """The key table and the functions the policies call. Idempotent: every
    operation that creates a policy needing them runs it first."""
    for statement in PROOF_MACHINERY:
        schema_editor.execute(statement)


def tenant_check_sql(column: str, quote, org_sql: str = PROVEN_ORG_SQL) -> str:
    return f"{quote(column)} = {org_sql}"


def _is_postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class EnableRowLevelSecurity(Operation):
    """ENABLE and FORCE row-level security on a tenant model's table and create its
    one policy: rows are visible and writable only while the proven tenant (`app.org_id`
    with its proof, see tenancy.proof) is their organization. FORCE makes the table
    owner obey it too; no tenant set, or no valid proof, means no rows and no writes."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, column: str = "organization_id") -> None:
        self.model_name = model_name
        self.column = column

    def state_forwards(self, app_label, state) -> None:
        pass

    def _table(self, apps, app_label: str) -> str:
        return apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if not _is_postgres(schema_editor):
            return
        quote = schema_editor.quote_name
        table = quote(self._table(to_state.apps, app_label))
        check = tenant_check_sql(self.column, quote)
        install_proof_machinery(schema_editor)
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"CREATE POLICY {TENANT_POLICY} ON {table} FOR ALL USING ({check}) WITH CHECK ({check})")

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if not _is_postgres(schema_editor):
            return
        table = schema_editor.quote_name(self._table(from_state.apps, app_label))
        schema_editor.execute(f"DROP POLICY IF EXISTS {TENANT_POLICY} ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self) -> str:
        return f"Enable and force row-level security on {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"rls_{self.model_name.lower()}"

    def deconstruct(self):
        kwargs = {"column": self.column} if self.column != "organization_id" else {}
        return self.__class__.__qualname__, [self.model_name], kwargs


class ProveTenantPolicies(Operation):
    """Rewrite every tenant table's policy that exists already so that it accepts only
    the proven tenant (tenancy.proof); EnableRowLevelSecurity creates new ones so.
    Backwards, they trust `app.org_id` as set again."""

    reversible = True
    reduces_to_sql = False

    def state_forwards(self, app_label, state) -> None:
        pass

    def _rewrite(self, schema_editor, org_sql: str) -> None:
        quote = schema_editor.quote_name
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename FROM pg_policies WHERE schemaname = 'public' AND policyname = %s ORDER BY 1",
                [TENANT_POLICY],
            )
            tables = [table for (table,) in cursor.fetchall()]
        for table in tables:
            check = tenant_check_sql("organization_id", quote, org_sql)
            schema_editor.execute(
                f"ALTER POLICY {TENANT_POLICY} ON {quote(table)} USING ({check}) WITH CHECK ({check})"
            )

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if _is_postgres(schema_editor):
            install_proof_machinery(schema_editor)
            self._rewrite(schema_editor, PROVEN_ORG_SQL)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if _is_postgres(schema_editor):
            self._rewrite(schema_editor, UNPROVEN_ORG_SQL)

    def describe(self) -> str:
        return "Make every tenant policy accept only a proven tenant"

    @property
    def migration_name_fragment(self) -> str:
        return "prove_tenant_policies"

    def deconstruct(self):
        return self.__class__.__qualname__, [], {}


class AddTenantForeignKey(Operation):
    """The database constraint behind a tenant model's ForeignKey (declared with
    db_constraint=False so Django does not add a plain one).

    - To the organization: `FOREIGN KEY (organization_id) REFERENCES organization
      ON DELETE CASCADE`, so deleting a clinic deletes its rows.
    - To another tenant model: a composite `FOREIGN KEY (organization_id, x_id)
      REFERENCES x (organization_id, id)`. PostgreSQL checks foreign keys without
      RLS, so a plain key would let clinic A's row point at clinic B's; the
      composite one makes the database refuse it.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, name: str) -> None:
        self.model_name = model_name
        self.name = name

    def state_forwards(self, app_label, state) -> None:
        pass

    def _parts(self, apps, app_label: str, connection) -> tuple[str, str, str]:
        model = apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        target = field.related_model
        table = model._meta.db_table
        constraint = truncate_name(
            f"{table}_{field.column}_{names_digest(table, field.column, length=8)}_tfk",
            connection.ops.max_name_length(),
        )
        quote = connection.ops.quote_name
        target_table = quote(target._meta.db_table)
        if any(f.name == "organization" for f in target._meta.fields):
            columns = f"({quote('organization_id')}, {quote(field.column)})"
            references = f"{target_table} ({quote('organization_id')}, {quote(target._meta.pk.column)})"
        else:
            columns = f"({quote(field.column)})"
            references = f"{target_table} ({quote(target._meta.pk.column)})"
        on_delete = self._on_delete_sql(field, quote)
        sql = (
            f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(constraint)} "
            f"FOREIGN KEY {columns} REFERENCES {references}{on_delete} DEFERRABLE INITIALLY DEFERRED"
        )
        return table, constraint, sql

    def _on_delete_sql(self, field, quote) -> str:
        if field.name == "organization" or field.remote_field.on_delete is models.CASCADE:
            return " ON DELETE CASCADE"
        if field.remote_field.on_delete is models.SET_NULL:
            # Column list (PostgreSQL 15+): null the reference, never organization_id.
            return f" ON DELETE SET NULL ({quote(field.column)})"
        return ""  # NO ACTION: PROTECT and RESTRICT are enforced by Django first.

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if not _is_postgres(schema_editor):
            return
        _, _, sql = self._parts(to_state.apps, app_label, schema_editor.connection)
        schema_editor.execute(sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if not _is_postgres(schema_editor):
            return
        table, constraint, _ = self._parts(from_state.apps, app_label, schema_editor.connection)
        quote = schema_editor.quote_name
        schema_editor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT IF EXISTS {quote(constraint)}")

    def describe(self) -> str:
        return f"Add tenant foreign key {self.model_name}.{self.name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"tenant_fk_{self.model_name.lower()}_{self.name.lower()}"

    def deconstruct(self):
        return self.__class__.__qualname__, [self.model_name, self.name], {}


def tenant_table_operations(
    model_name: str, foreign_keys: tuple[str, ...] = (), *, append_only: bool = False
) -> list[Operation]:
    """Everything a new tenant model's migration needs after its CreateModel;
    `append_only` for a table whose rows are never changed (an audit trail)."""
    keys = ("organization", *foreign_keys)
    operations = [EnableRowLevelSecurity(model_name), *(AddTenantForeignKey(model_name, key) for key in keys)]
    if append_only:
        operations.append(MakeAppendOnly(model_name))
    return operations


def revoke_from_every_grantee(schema_editor, table: str, privileges: str) -> None:
    """Revoke `privileges` on `table` (quoted) from PUBLIC and from every role it was
    granted to but its owner (the default privileges grant DML to the runtime role)."""
    schema_editor.execute(f"REVOKE {privileges} ON {table} FROM PUBLIC")
    schema_editor.execute(
        f"""DO $$
        DECLARE grantee text;
        BEGIN
            FOR grantee IN
                SELECT DISTINCT r.rolname FROM pg_class c, aclexplode(c.relacl) a
                JOIN pg_roles r ON r.oid = a.grantee
                WHERE c.oid = '{table}'::regclass AND a.grantee <> c.relowner
            LOOP
                -- %% is a literal percent: Django passes the statement with parameters.
                EXECUTE format('REVOKE {privileges} ON {table} FROM %%I', grantee);
            END LOOP;
        END $$"""
    )


APPEND_ONLY_COMMENT = "tenancy: append-only"
APPEND_ONLY_PRUNE_SETTING = "app.append_only_prune_before"


class MakeAppendOnly(Operation):
    """Make a tenant table append-only for every role but its owner: INSERT and
    SELECT, never UPDATE, DELETE or TRUNCATE.

    - The comment on the table (APPEND_ONLY_COMMENT) is the declaration `manage.py
      db_roles` reads: after its blanket DML grants it revokes UPDATE, DELETE and
      TRUNCATE again on every table so marked, on every run.
    - Here, UPDATE, DELETE and TRUNCATE are revoked from every role the table was
      granted to when it was created (the default privileges grant DML to the runtime
      role), so the table is append-only from this migration on.
    - The tenant policy stays FOR ALL (it still scopes INSERT and SELECT). Two more
      policies, FOR SELECT and FOR DELETE and for the owner role only (the role
      running the migration), let the retention command remove rows older than the time it puts
      in APPEND_ONLY_PRUNE_SETTING for its one statement: the only deletion path.
      The `time_column` names the row's timestamp."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, time_column: str = "at") -> None:
        self.model_name = model_name
        self.time_column = time_column

    def state_forwards(self, app_label, state) -> None:
        pass

    def _policy(self, table: str, command: str) -> str:
        return f"retention_{command.lower()}"

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if not _is_postgres(schema_editor):
            return
        quote = schema_editor.quote_name
        name = to_state.apps.get_model(app_label, self.model_name)._meta.db_table
        table = quote(name)
        schema_editor.execute(f"COMMENT ON TABLE {table} IS '{APPEND_ONLY_COMMENT}'")
        revoke_from_every_grantee(schema_editor, table, "UPDATE, DELETE, TRUNCATE")
        cutoff = f"NULLIF(current_setting('{APPEND_ONLY_PRUNE_SETTING}', true), '')::timestamptz"
        older = f"{quote(self.time_column)} < {cutoff}"
        # A DELETE with a WHERE clause must also see the rows: one policy per command.
        for command in ("SELECT", "DELETE"):
            policy = quote(self._policy(name, command))
            schema_editor.execute(f"CREATE POLICY {policy} ON {table} FOR {command} TO CURRENT_USER USING ({older})")

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if not _is_postgres(schema_editor):
            return
        quote = schema_editor.quote_name
        name = from_state.apps.get_model(app_label, self.model_name)._meta.db_table
        # The grants are not put back here: without the comment, the next
        # `manage.py db_roles` gives the runtime role its usual DML on the table.
        for command in ("SELECT", "DELETE"):
            schema_editor.execute(f"DROP POLICY IF EXISTS {quote(self._policy(name, command))} ON {quote(name)}")
        schema_editor.execute(f"COMMENT ON TABLE {quote(name)} IS NULL")

    def describe(self) -> str:
        return f"Make {self.model_name} append-only"

    @property
    def migration_name_fragment(self) -> str:
        return f"append_only_{self.model_name.lower()}"

    def deconstruct(self):
        kwargs = {"time_column": self.time_column} if self.time_column != "at" else {}
        return self.__class__.__qualname__, [self.model_name], kwargs


OWNER_DELETES_COMMENT = "tenancy: deleted by the owner role only"


class ReserveDeletesToOwner(Operation):
    """Let no role but the table's owner delete its rows: for the organizations, whose
    deletion cascades to every row of a clinic, its audit trail included. SQL running
    as the runtime role (an injection) can then never delete a clinic; the owner role's
    purge of a closed clinic after its grace period still does.

    - The comment on the table (OWNER_DELETES_COMMENT) is the declaration `manage.py
      db_roles` reads: after its blanket DML grants it revokes DELETE and TRUNCATE again
      on every table so marked, on every run.
    - Here, DELETE and TRUNCATE are revoked from every role the table is granted to, so
      the rule holds from this migration on. UPDATE stays: a clinic's name, time zone
      and status are still changed in its own tenant context."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def state_forwards(self, app_label, state) -> None:
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if not _is_postgres(schema_editor):
            return
        table = schema_editor.quote_name(to_state.apps.get_model(app_label, self.model_name)._meta.db_table)
        schema_editor.execute(f"COMMENT ON TABLE {table} IS '{OWNER_DELETES_COMMENT}'")
        revoke_from_every_grantee(schema_editor, table, "DELETE, TRUNCATE")

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if not _is_postgres(schema_editor):
            return
        # As with MakeAppendOnly, the grants are not put back here: without the comment,
        # the next `manage.py db_roles` gives the runtime role its usual DML again.
        table = schema_editor.quote_name(from_state.apps.get_model(app_label, self.model_name)._meta.db_table)
        schema_editor.execute(f"COMMENT ON TABLE {table} IS NULL")

    def describe(self) -> str:
        return f"Let only the owner role delete {self.model_name} rows"

    @property
    def migration_name_fragment(self) -> str:
        return f"owner_deletes_{self.model_name.lower()}"

    def deconstruct(self):
        return self.__class__.__qualname__, [self.model_name], {}


PLATFORM_UNIQUE_COMMENT = "tenancy: platform-wide routing key"


# On only while a pre-tenant function runs (its SET clause); the owner-only lookup
# policies hold only then. `manage.py db_roles` lets the owner role set it.
PRE_TENANT_FLAG = "app.pre_tenant_lookup"


class AddPreTenantFunction(Operation):
    """A narrow pre-tenant function: SECURITY DEFINER, fixed `search_path`, EXECUTE
    revoked from PUBLIC (`manage.py db_roles` grants it to the runtime role), whose
    SQL `body` answers one question before any tenant is known and returns ids, never
    rows.

    FORCE ROW LEVEL SECURITY binds the function's owner too, so it reads the tables it
    needs (`models`) through one SELECT-only policy each, for that owner role alone,
    which holds while PRE_TENANT_FLAG is 'on'. The function's own `SET` clause turns
    it on for the call and PostgreSQL restores it on return (or error): nothing sets
    it by hand, and the runtime role gains nothing from setting it itself, as the
    policies are not its own."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, function: str, arguments: str, returns: str, body: str, models: tuple[str, ...]) -> None:
        self.function = function
        self.arguments = arguments
        self.returns = returns
        self.body = body
        self.models = tuple(models)

    def state_forwards(self, app_label, state) -> None:
        pass

    def _tables(self, apps, app_label: str) -> list[str]:
        # A model of another app is named "app_label.Model" (a function that reads
        # several apps' tables, such as the platform console's overview).
        return [
            (apps.get_model(name) if "." in name else apps.get_model(app_label, name))._meta.db_table
            for name in self.models
        ]

    def _body(self, apps, app_label: str) -> str:
        return self.body

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if not _is_postgres(schema_editor):
            return
        quote = schema_editor.quote_name
        policy = quote(f"lookup_{self.function}")
        for table in self._tables(to_state.apps, app_label):
            schema_editor.execute(
                f"CREATE POLICY {policy} ON {quote(table)} FOR SELECT TO CURRENT_USER "
                f"USING (current_setting('{PRE_TENANT_FLAG}', true) = 'on')"
            )
        self._create_function(schema_editor, self._body(to_state.apps, app_label))

    def _create_function(self, schema_editor, body: str, *, replace: bool = False) -> None:
        function = schema_editor.quote_name(self.function)
        schema_editor.execute(
            f"CREATE {'OR REPLACE ' if replace else ''}FUNCTION {function}({self.arguments}) RETURNS {self.returns} "
            f"LANGUAGE sql VOLATILE SECURITY DEFINER "
            f"SET search_path = pg_catalog, pg_temp SET {schema_editor.quote_name(PRE_TENANT_FLAG)} = 'on' "
            f"AS $$ {body} $$"
        )
        schema_editor.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if not _is_postgres(schema_editor):
            return
        quote = schema_editor.quote_name
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {quote(self.function)}")
        for table in self._tables(from_state.apps, app_label):
            schema_editor.execute(f"DROP POLICY IF EXISTS {quote(f'lookup_{self.function}')} ON {quote(table)}")

    def describe(self) -> str:
        return f"Add the pre-tenant function {self.function}()"

    @property
    def migration_name_fragment(self) -> str:
        return f"lookup_{self.function}"

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [self.function, self.arguments, self.returns, self.body, self.models],
            {},
        )


class ReplacePreTenantFunction(AddPreTenantFunction):
    """A new `body` for a pre-tenant function an earlier migration added with
    AddPreTenantFunction: the same name, arguments, result and tables (`models`, whose
    lookup policies stay as they are). Backwards, `previous_body` again."""

    def __init__(
        self, function: str, arguments: str, returns: str, body: str, previous_body: str, models: tuple[str, ...]
    ) -> None:
        super().__init__(function, arguments, returns, body, models)
        self.previous_body = previous_body

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if _is_postgres(schema_editor):
            self._create_function(schema_editor, self.body, replace=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if _is_postgres(schema_editor):
            self._create_function(schema_editor, self.previous_body, replace=True)

    def describe(self) -> str:
        return f"Replace the body of the pre-tenant function {self.function}()"

    @property
    def migration_name_fragment(self) -> str:
        return f"replace_{self.function}"

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [self.function, self.arguments, self.returns, self.body, self.previous_body, self.models],
            {},
        )


class AddPreTenantLookup(AddPreTenantFunction):
    """The common pre-tenant function: `function(lookup_key text) RETURNS uuid` maps one
    value of one column (an inbound number, a token's hash, a slug) to the
    organization id of the row holding it (`returns` names that column). `where`, SQL
    over the row aliased `t`, narrows the rows that count (an invitation only while it
    is pending), so the function says nothing about the others."""

    def __init__(
        self, function: str, model_name: str, column: str, returns: str = "organization_id", where: str = ""
    ) -> None:
        super().__init__(function, "lookup_key text", "uuid", "", (model_name,))
        self.model_name = model_name
        self.column = column
        self.returns_column = returns
        self.where = where

    def _body(self, apps, app_label: str) -> str:
        table = apps.get_model(app_label, self.model_name)._meta.db_table
        condition = f" AND ({self.where})" if self.where else ""
        return (
            f'SELECT t."{self.returns_column}" FROM public."{table}" t '
            f'WHERE t."{self.column}" = lookup_key{condition} LIMIT 1'
        )

    def describe(self) -> str:
        return f"Add the pre-tenant lookup {self.function}() on {self.model_name}.{self.column}"

    def deconstruct(self):
        kwargs = {"returns": self.returns_column} if self.returns_column != "organization_id" else {}
        if self.where:
            kwargs["where"] = self.where
        return self.__class__.__qualname__, [self.function, self.model_name, self.column], kwargs


class MarkPlatformUnique(Operation):
    """Declare a UNIQUE constraint on a tenant table that deliberately leaves
    organization_id out: a routing key that must be unique across the platform (an
    SMS sender number routes inbound texts to exactly one clinic). The comment on the
    constraint's index is what `rls_audit` and the checks read; every other UNIQUE
    without organization_id is still a finding."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, constraint: str) -> None:
        self.model_name = model_name
        self.constraint = constraint

    def state_forwards(self, app_label, state) -> None:
        pass

    def _comment(self, apps, app_label, schema_editor, text: str | None) -> None:
        if not _is_postgres(schema_editor):
            return
        # A partial UniqueConstraint is a unique index without a pg_constraint row;
        # the index exists either way, so the comment goes there.
        value = "NULL" if text is None else f"'{text}'"
        schema_editor.execute(f"COMMENT ON INDEX {schema_editor.quote_name(self.constraint)} IS {value}")

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._comment(to_state.apps, app_label, schema_editor, PLATFORM_UNIQUE_COMMENT)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._comment(from_state.apps, app_label, schema_editor, None)

    def describe(self) -> str:
        return f"Mark {self.constraint} as a platform-wide routing key"

    @property
    def migration_name_fragment(self) -> str:
        return f"platform_unique_{self.model_name.lower()}"

    def deconstruct(self):
        return self.__class__.__qualname__, [self.model_name, self.constraint], {}
