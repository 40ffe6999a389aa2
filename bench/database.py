"""The benchmarks' own database: dropped and set up again the way `make db` sets up
the real one (roles, migrations as the owner, grants), so each run starts empty."""

from __future__ import annotations


def rebuild_database() -> None:
    """Drop the configured benchmark database, then create roles, migrate and grant."""
    import psycopg
    from django.conf import settings
    from django.core.management import call_command
    from psycopg import sql

    server = settings.DATABASE_SERVER
    with psycopg.connect(**server.connect_kwargs("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(server.name)))
    call_command("db_roles", verbosity=0)
    call_command("migrate", database="owner", verbosity=0)
    call_command("db_roles", verbosity=0)


def analyze() -> None:
    """ANALYZE the benchmark's freshly loaded data, as autovacuum would have long before
    a real clinic's page is read: without statistics the planner guesses, and the
    figures would measure its guesses rather than the app."""
    from django.db import connections

    with connections["owner"].cursor() as cursor:
        cursor.execute("ANALYZE")
