"""System checks: the database really enforces what the models promise.

Database checks run with `manage.py check --database default` (and in /readyz);
the runtime-role check also runs with `check --deploy`."""

from __future__ import annotations

import uuid

from django.apps import apps
from django.core import checks
from django.db import DatabaseError, connections

from tenancy import introspection
from tenancy.context import tenant_context
from tenancy.models import TenantModel


def tenant_models() -> list[type[TenantModel]]:
    return [model for model in apps.get_models() if issubclass(model, TenantModel) and not model._meta.proxy]


def tenant_foreign_keys(model) -> list:
    """ForeignKeys from a tenant model to another tenant model."""
    return [
        field
        for field in model._meta.concrete_fields
        if field.many_to_one and field.name != "organization" and issubclass(field.related_model, TenantModel)
    ]


@checks.register()
def check_tenant_model_declarations(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    for model in tenant_models():
        names = {c.name for c in model._meta.constraints}
        expected = f"{model._meta.app_label}_{model._meta.model_name}_org_id_uniq"
        if expected not in names:
            errors.append(
                checks.Error(
                    f"{model._meta.label} lost the (organization, id) unique constraint.",
                    hint="Let its Meta inherit TenantModel.Meta: class Meta(TenantModel.Meta).",
                    obj=model,
                    id="tenancy.E001",
                )
            )
        for field in tenant_foreign_keys(model):
            if field.db_constraint:
                errors.append(
                    checks.Error(
                        f"{model._meta.label}.{field.name} would get a plain foreign key.",
                        hint="Declare it with db_constraint=False and add AddTenantForeignKey "
                        "to the migration, which creates the composite key.",
                        obj=field,
                        id="tenancy.E002",
                    )
                )
    return errors


def database_problems(using: str = "default") -> list[str]:
    """What is wrong with tenant isolation in the database, in plain sentences."""
    problems = []
    with connections[using].cursor() as cursor:
        problems += [f"database connection: {p}" for p in introspection.role_bypass_problems(cursor)]
        secured = {t.table: t for t in introspection.table_security(cursor)}
        declared = {t.table for t in introspection.append_only_tables(cursor)}
        for model in tenant_models():
            table = model._meta.db_table
            status = secured.get(table)
            if status is None:
                problems.append(f"{table}: table missing (run migrations)")
                continue
            if not status.covered:
                problems.append(f"{table}: row-level security not enabled, forced and with a proven-tenant policy")
            for field in tenant_foreign_keys(model):
                if not _has_composite_key(cursor, table, field.column):
                    problems.append(f"{table}.{field.column}: no composite foreign key with organization_id")
            if getattr(model, "tenant_append_only", False):
                problems += _append_only_problems(cursor, table, declared)
        problems += [
            f"{t}: organization_id is not a foreign key" for t in introspection.tables_without_org_foreign_key(cursor)
        ]
    return problems + _proof_problems(using)


def _proof_problems(using: str) -> list[str]:
    """The database must accept this server's tenant proofs (tenancy.proof): it holds
    the key of the SECRET_KEY it was last migrated with."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT to_regprocedure('tenancy_proven_org()') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return ["tenancy_proven_org(): missing (run migrations)"]
    probe = uuid.uuid4()
    with tenant_context(org=probe, using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT tenancy_proven_org()")
        if cursor.fetchone()[0] != probe:
            return [
                "the database refuses this server's tenant proofs: its key is not this SECRET_KEY's "
                "(run `manage.py migrate --database owner`, which stores it)"
            ]
    return []


def _append_only_problems(cursor, table: str, declared: set[str]) -> list[str]:
    """An append-only model's table must be declared so (db_roles keeps it so) and the
    connected role must not be able to UPDATE, DELETE or TRUNCATE it."""
    problems = []
    if table not in declared:
        problems.append(f"{table}: not declared append-only in the database (MakeAppendOnly)")
    rights = introspection.current_role_may_rewrite(cursor, table)
    if rights:
        problems.append(f"{table}: append-only, but this role may {', '.join(rights)} (run manage.py db_roles)")
    return problems


def _has_composite_key(cursor, table: str, column: str) -> bool:
    cursor.execute(
        """
        SELECT 1 FROM pg_constraint k
        WHERE k.contype = 'f' AND k.conrelid = %s::regclass
          AND (SELECT array_agg(attname::text ORDER BY attname) FROM pg_attribute
               WHERE attrelid = k.conrelid AND attnum = ANY (k.conkey)) = %s
        """,
        [introspection.quote_identifier(table), sorted([introspection.ORG_COLUMN, column])],
    )
    return cursor.fetchone() is not None


@checks.register(checks.Tags.database)
def check_database_enforces_tenancy(app_configs=None, databases=None, **kwargs):
    # Django calls database checks with databases=None from runserver and migrate,
    # before the tables may exist; only `check --database default` asks for this one.
    if not databases or "default" not in databases:
        return []
    return _as_errors(database_problems)


@checks.register(checks.Tags.security, deploy=True)
def check_runtime_role_cannot_bypass_rls(app_configs=None, **kwargs):
    def role_problems() -> list[str]:
        with connections["default"].cursor() as cursor:
            return [f"database connection: {p}" for p in introspection.role_bypass_problems(cursor)]

    return _as_errors(role_problems)


def _as_errors(find_problems) -> list[checks.CheckMessage]:
    try:
        problems = find_problems()
    except DatabaseError as exc:
        return [checks.Error(f"Cannot inspect the database: {exc}", id="tenancy.E010")]
    return [checks.Error(problem, hint="See docs/security/tenancy.md.", id="tenancy.E011") for problem in problems]
