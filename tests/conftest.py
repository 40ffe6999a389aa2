"""Shared fixtures: a real PostgreSQL test database set up exactly as production
is (three roles, migrations run as the owner, tests run as the runtime role), and
two clinics with an owner, a staff member and an outsider."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from _pytest.nodeid import coerce_node_id
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from tenancy.database import OWNER_ALIAS
from tenancy.services import organization_create
from tests.support.database import _drop_abandoned_test_databases, _drop_database
from tests.support.people import add_member, clinic_people, make_user

# Fixtures kept beside the helpers they serve.
pytest_plugins = ["tests.support.busy", "tests.support.voice"]


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
    """The migrated database the worker tests copy (tests/support/worker_harness.py), if this
    process made one."""
    from tests.support.worker_harness import drop_migrated_template

    drop_migrated_template()


@pytest.fixture(autouse=True)
def fresh_cache():
    """Password reset limits count in the cache, which outlives a test's transaction;
    sign-in failures (django-axes) are rows, rolled back or flushed after each test,
    so no test inherits another's failures and lockouts stay on for every test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


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


@pytest.fixture
def admin_client(client, owner_a, org_a):
    """Clinic A's owner in /admin/: staff, signed in with a second factor."""
    from tests.support.two_factor import sign_in_with_code

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
    from tests.support.sms import RecordingBackend

    settings.SMS_BACKEND = "tests.support.sms.RecordingBackend"
    RecordingBackend.reset()
    yield RecordingBackend
    RecordingBackend.reset()


@pytest.fixture(scope="session")
def radicale():
    """A real CalDAV server (Radicale) on a loopback port for the whole session."""
    from tests.support import caldav

    with caldav.running() as server:
        yield server


# --- The integrator API ----------------------------------------------------------


@pytest.fixture
def key_a(org_a) -> str:
    """A read/write API key of clinic A (the key itself)."""
    from tests.support.api import make_key

    return make_key(org_a)


@pytest.fixture
def api_a(key_a):
    from tests.support.api import ApiClient

    return ApiClient(key_a)


@pytest.fixture
def api_b(org_b):
    from tests.support.api import ApiClient, make_key

    return ApiClient(make_key(org_b))


@pytest.fixture
def api_a_read_only(org_a):
    from tests.support.api import ApiClient, make_key

    return ApiClient(make_key(org_a, read_only=True, name="Reporting"))


@pytest.fixture
def caldav_jobs(django_capture_on_commit_callbacks):
    """CalDAV jobs deferred to memory and run in this process (tests/support/caldav_jobs.py)."""
    from procrastinate.contrib.django import app
    from procrastinate.testing import InMemoryConnector

    from tests.support.caldav_jobs import Jobs

    connector = InMemoryConnector()
    with app.replace_connector(connector):
        yield Jobs(connector, django_capture_on_commit_callbacks)
