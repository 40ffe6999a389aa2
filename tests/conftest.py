"""Shared fixtures: a real PostgreSQL test database set up exactly as production
is (three roles, migrations run as the owner, tests run as the runtime role), and
two clinics with an owner, a staff member and an outsider."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from contextlib import contextmanager

import psycopg
import pytest
from _pytest.nodeid import coerce_node_id
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from psycopg import sql

from tenancy.context import tenant_context
from tenancy.database import OWNER_ALIAS
from tenancy.services import organization_create

PASSWORD = "correct-horse-battery-staple"


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


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker):
    """Create the test database the way `make run` creates the real one."""
    prefix = settings.DATABASES["default"]["TEST"]["NAME"]
    test_name = f"{prefix}_{os.getpid()}"
    with django_db_blocker.unblock():
        _drop_abandoned_test_databases(prefix)
        for alias in connections:
            connections[alias].close()
            connections[alias].settings_dict["NAME"] = test_name
            settings.DATABASES[alias]["NAME"] = test_name
        _drop_database(test_name)
        call_command("db_roles", database_name=test_name, verbosity=0)
        call_command("migrate", database=OWNER_ALIAS, verbosity=0)
        call_command("db_roles", database_name=test_name, verbosity=0)
    yield
    with django_db_blocker.unblock():
        for alias in connections:
            connections[alias].close()
        _drop_database(test_name)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the marker
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test`, --dist loadgroup), the browser tests go to one
    worker: their gunicorn server, its database and Chromium (tests/e2e/conftest.py) are
    set up once per process, which costs more than the tests gain from being spread.
    The largest group is handed out first, so they start at once rather than last.

    In a worker, the browser tests come first and the longest others (real worker
    processes, the short soak) next, so that none of them starts last and leaves the
    other workers idle while it runs.
    Every worker sorts alike, as pytest-xdist requires; a run in one process keeps
    the usual order."""
    _unique_node_ids(items)
    e2e = settings.BASE_DIR / "tests" / "e2e"
    grouping = getattr(config.option, "loadgroup", False)  # set in each worker by pytest-xdist
    for item in items:
        group = _one_worker_group(item, e2e)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
            if grouping:
                # What pytest-xdist 3.8 does for the marker (the group after "@" in the
                # node id), which under pytest 9 it writes to an attribute no longer read.
                item._id = coerce_node_id(f"{item.nodeid}@{group}")
    if hasattr(config, "workerinput"):
        items.sort(key=lambda item: (e2e not in item.path.parents, not _among_the_longest(item)))


def _one_worker_group(item, e2e) -> str | None:
    """Tests whose costly set-up is made once per process go to one worker: the browser
    tests, the demo data's tests (a module fixture seeds the demo clinics, a minute
    or two), and the read replica's (a module fixture starts a standby)."""
    if e2e in item.path.parents:
        return "e2e"
    if item.path.name == "test_seed_demo.py":
        return "seed_demo"
    if item.path.name == "test_read_replicas.py":
        return "read_replicas"  # one streaming standby and one database of its own
    return None


def _unique_node_ids(items) -> None:
    """schemathesis names its tests per operation ("...[GET /api/v1/patients/]") but
    gives them all the function's node id; pytest-xdist hands tests out by node id, so
    all but one would silently never run. Each such test gets its name as its id."""
    counts = Counter(item.nodeid for item in items)
    for item in items:
        if counts[item.nodeid] > 1:
            item._id = item.parent.id.child(item.name)  # pytest 9 keeps the node id structured


def _among_the_longest(item) -> bool:
    return item.get_closest_marker("worker") is not None or item.path.name == "test_soak_short.py"


def pytest_sessionfinish(session):
    """The migrated database the worker tests copy (tests/worker_harness.py), if this
    process made one."""
    from tests.worker_harness import drop_migrated_template

    drop_migrated_template()


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


@pytest.fixture(autouse=True)
def fresh_cache():
    """Password reset limits count in the cache, which outlives a test's transaction;
    sign-in failures (django-axes) are rows, rolled back or flushed after each test,
    so no test inherits another's failures and lockouts stay on for every test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def make_user(username: str, **extra):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.test", password=PASSWORD, **extra
    )


@pytest.fixture
def owner_a(db):
    return make_user("olivia_owner_a", first_name="Olivia", last_name="Owner")


@pytest.fixture
def owner_b(db):
    return make_user("bruno_owner_b", first_name="Bruno", last_name="Owner")


@pytest.fixture
def org_a(owner_a):
    return organization_create(
        name="Clinic A", slug="clinic-a", timezone="Europe/Berlin", owner=owner_a, locale="en-gb"
    )


@pytest.fixture
def org_b(owner_b):
    return organization_create(name="Clinic B", slug="clinic-b", timezone="America/New_York", owner=owner_b)


@pytest.fixture
def staff_a(org_a):
    from tenancy.models import Membership

    user = make_user("sam_staff_a", first_name="Sam", last_name="Staff")
    add_member(org_a, user, Membership.Role.STAFF)
    return user


@pytest.fixture
def outsider(db):
    return make_user("oscar_outsider")


def add_member(org, user, role: str = "staff"):
    """Give `user` a membership in `org` (for users in several clinics), granted by an
    owner of `org`: the database accepts a new member from nobody else."""
    from tenancy.models import Membership

    with tenant_context(org=org):
        owner_id = Membership.objects.filter(role=Membership.Role.OWNER).values_list("user_id", flat=True).first()
        with tenant_context(user=owner_id):
            return Membership.objects.create(user=user, role=role)


def login(client, user, org=None) -> None:
    """Log in through the real login view, then (optionally) pick the clinic
    through the real switcher."""
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    if org is not None:
        from tenancy.session import SESSION_ORG_KEY

        session = client.session
        session[SESSION_ORG_KEY] = str(org.id)
        session.save()


def clinic_people(org, *, prefix: str = ""):
    """Two patients, two providers and a 30-minute type in `org`, made with the factories.
    `prefix` keeps another clinic's names apart, so a page can be checked for them."""
    from types import SimpleNamespace

    from tests import factories

    with tenant_context(org=org):
        return SimpleNamespace(
            org=org,
            jane=factories.patient(first_name=f"{prefix}Jane", last_name="Doe"),
            john=factories.patient(first_name=f"{prefix}John", last_name="Roe"),
            ada=factories.provider(title="Dr", name=f"{prefix}Ada Lovelace"),
            grace=factories.provider(title="Dr", name=f"{prefix}Grace Hopper"),
            checkup=factories.appointment_type(name=f"{prefix}Check-up", default_duration=30),
        )


@pytest.fixture
def admin_client(client, owner_a, org_a):
    """Clinic A's owner in /admin/: staff, signed in with a second factor."""
    from tests.two_factor_support import sign_in_with_code

    owner_a.is_staff = True
    owner_a.save()
    sign_in_with_code(client, owner_a, org_a)
    return client


@pytest.fixture
def people_a(org_a):
    return clinic_people(org_a)


@pytest.fixture
def people_b(org_b):
    return clinic_people(org_b, prefix="Other")


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """`with on_commit(execute=True):` runs what the block defers to its commit (a mail),
    which the test's own transaction would otherwise never reach."""
    return django_capture_on_commit_callbacks


@pytest.fixture
def sms_provider(settings):
    """Texts go to a recording provider instead of the console."""
    from tests.sms_helpers import RecordingBackend

    settings.SMS_BACKEND = "tests.sms_helpers.RecordingBackend"
    RecordingBackend.reset()
    yield RecordingBackend
    RecordingBackend.reset()


@pytest.fixture(scope="session")
def radicale():
    """A real CalDAV server (Radicale) on a loopback port for the whole session."""
    from tests import caldav_support

    with caldav_support.running() as server:
        yield server


# --- The integrator API ----------------------------------------------------------


@pytest.fixture
def key_a(org_a) -> str:
    """A read/write API key of clinic A (the key itself)."""
    from tests.api_support import make_key

    return make_key(org_a)


@pytest.fixture
def api_a(key_a):
    from tests.api_support import ApiClient

    return ApiClient(key_a)


@pytest.fixture
def api_b(org_b):
    from tests.api_support import ApiClient, make_key

    return ApiClient(make_key(org_b))


@pytest.fixture
def api_a_read_only(org_a):
    from tests.api_support import ApiClient, make_key

    return ApiClient(make_key(org_a, read_only=True, name="Reporting"))


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


@pytest.fixture
def caldav_jobs(django_capture_on_commit_callbacks):
    """CalDAV jobs deferred to memory and run in this process (tests/caldav_jobs.py)."""
    from procrastinate.contrib.django import app
    from procrastinate.testing import InMemoryConnector

    from tests.caldav_jobs import Jobs

    connector = InMemoryConnector()
    with app.replace_connector(connector):
        yield Jobs(connector, django_capture_on_commit_callbacks)
