"""The test database from outside Django's test transaction: the bootstrap superuser,
connections of their own as a role, `manage.py` in a process of its own, and the
tenant proof set by hand on a raw connection."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import connections
from psycopg import sql

from tenancy.database import OWNER_ALIAS


def _admin_execute(statement, params=None):
    server = settings.DATABASE_SERVER
    with psycopg.connect(**server.connect_kwargs("postgres"), autocommit=True) as conn:
        return conn.execute(statement, params).fetchall() if params is not None else conn.execute(statement)


def _drop_database(name: str) -> None:
    _admin_execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _drop_abandoned_test_databases(prefix: str) -> None:
    """Test databases are named per process so parallel runs on one server never
    drop each other's; remove those whose process has gone."""
    rows = _admin_execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{prefix}_%"])
    for (name,) in rows:
        pid = name.rsplit("_", 1)[-1]
        if pid.isdigit() and not _process_alive(int(pid)):
            _drop_database(name)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_manage(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    """`manage.py ARGS` in a process of its own, as an operator runs it (its own
    connections, outside the test's transaction). `env` must name DATABASE_NAME."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def manage_or_fail(*args: str, env: dict[str, str]) -> str:
    result = run_manage(*args, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def set_up_database(env: dict[str, str]) -> None:
    """Roles, migrations as the owner, then grants on the new tables: as `make db`."""
    manage_or_fail("db_roles", env=env)
    manage_or_fail("migrate", "--database", OWNER_ALIAS, "--no-input", env=env)
    manage_or_fail("db_roles", env=env)


@contextmanager
def raw_connection(alias: str = "default"):
    """A psycopg connection of its own, as the role behind `alias`, outside the
    test's transaction: for tests that need real COMMITs."""
    params = connections[alias].settings_dict
    kwargs = {"host": params["HOST"], "dbname": params["NAME"], "user": params["USER"]}
    if params["PORT"]:
        kwargs["port"] = params["PORT"]
    if params["PASSWORD"]:
        kwargs["password"] = params["PASSWORD"]
    with psycopg.connect(**kwargs) as conn:
        yield conn


def delete_committed_clinics(*org_ids, users=()) -> None:
    """Remove clinics a test committed, with all their rows (ON DELETE CASCADE), then
    `users`. As the owner role, in each clinic's proven tenant: the runtime role may
    not delete a clinic (docs/security/sql-injection.md)."""
    with raw_connection(OWNER_ALIAS) as conn:
        for org_id in org_ids:
            with conn.transaction():
                prove_tenant(conn, org_id)
                conn.execute("DELETE FROM tenancy_organization WHERE id = %s", [org_id])
    if users:
        # Users, too: only a user's own row is the runtime role's to delete.
        with raw_connection(OWNER_ALIAS) as conn:
            conn.execute("DELETE FROM accounts_user WHERE id = ANY(%s)", [list(users)])
            conn.commit()


@contextmanager
def admin_connection():
    """The bootstrap superuser on the test database (it bypasses RLS), in a
    transaction that is always rolled back."""
    server = settings.DATABASE_SERVER
    with psycopg.connect(**server.connect_kwargs(settings.DATABASES["default"]["NAME"])) as conn:
        try:
            yield conn
        finally:
            conn.rollback()


def prove_tenant(target, org_id, user_id=None) -> None:
    """What tenant_context() does, on a raw psycopg connection or a cursor: set the
    tenant (and user) with the app server's proof for this transaction."""
    from tenancy.proof import TRANSACTION_IDENTITY_SQL, proof_for

    cursor = target.cursor() if isinstance(target, psycopg.Connection) else target
    cursor.execute(TRANSACTION_IDENTITY_SQL)
    backend_pid, started = cursor.fetchone()
    org, user = (str(org_id) if org_id else ""), (str(user_id) if user_id else "")
    proof = proof_for(org, user, backend_pid, started) if org or user else ""
    cursor.execute(
        "SELECT set_config('app.org_id', %s, true), set_config('app.user_id', %s, true), "
        "set_config('app.context_proof', %s, true)",
        [org, user, proof],
    )
