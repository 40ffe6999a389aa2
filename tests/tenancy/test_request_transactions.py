"""One transaction per request: a request that fails keeps none of its writes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tenancy.context import tenant_context
from tenancy.session import SESSION_ORG_KEY
from tests.tenant_app.models import Ledger

pytestmark = pytest.mark.urls("tests.tenant_app.urls")


@pytest.fixture
def signed_in(owner_a, org_a):
    client = Client(raise_request_exception=False)
    client.force_login(owner_a)
    session = client.session
    session[SESSION_ORG_KEY] = str(org_a.id)
    session.save()
    return client


def ledger_names(org) -> list[str]:
    with tenant_context(org=org):
        return list(Ledger.objects.values_list("name", flat=True))


@pytest.mark.parametrize(("url", "status"), [("/crash/", 500), ("/missing/", 404)])
def test_a_failed_request_keeps_none_of_its_writes(signed_in, org_a, url, status):
    assert signed_in.get(url).status_code == status
    assert ledger_names(org_a) == []


def test_a_successful_request_keeps_its_writes(signed_in, org_a):
    assert signed_in.get("/write/").status_code == 200
    assert ledger_names(org_a) == ["kept"]


def test_a_view_that_asks_for_a_rollback_keeps_none_of_its_writes(signed_in, org_a):
    assert signed_in.get("/undo/").status_code == 200
    assert ledger_names(org_a) == []


def test_a_failed_statement_before_any_write_ends_the_request_and_nothing_else(signed_in, org_a):
    assert signed_in.get("/failed-statement/").status_code == 500
    assert signed_in.get("/write/").status_code == 200
    assert ledger_names(org_a) == ["kept"]


def savepoints(client, url: str) -> list[str]:
    assert client.get("/read/").status_code == 200  # the session's first page records activity
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries if query["sql"].startswith("SAVEPOINT")]


def test_a_view_takes_a_savepoint_before_its_first_write_only(signed_in):
    # Here the request's own transaction is a savepoint too (the test runs in one).
    assert len(savepoints(signed_in, "/read/")) == 1
    assert len(savepoints(signed_in, "/write/")) == 2


def test_what_a_view_records_of_its_success_is_kept_without_a_savepoint(signed_in, org_a):
    assert len(savepoints(signed_in, "/shown/")) == 1  # the test's stand-in for BEGIN
    assert ledger_names(org_a) == ["shown"]


@pytest.mark.parametrize(("url", "status"), [("/shown-then-crash/", 500), ("/shown-then-undo/", 200)])
def test_a_view_that_fails_records_nothing_of_its_success(signed_in, org_a, url, status):
    assert signed_in.get(url).status_code == status
    assert ledger_names(org_a) == []


def test_a_record_that_fails_fails_the_page_and_keeps_none_of_its_writes(signed_in, org_a):
    assert signed_in.get("/unrecorded/").status_code == 500
    assert ledger_names(org_a) == []
    assert signed_in.get("/write/").status_code == 200
    assert ledger_names(org_a) == ["kept"]


def test_outside_a_request_a_record_is_written_at_once(org_a):
    from tenancy.request_transaction import after_view

    with tenant_context(org=org_a):
        after_view(lambda: Ledger.objects.create(name="at once"))
        assert list(Ledger.objects.values_list("name", flat=True)) == ["at once"]


@pytest.mark.parametrize(
    ("sql", "reads_only"),
    [
        ('SELECT "appointments_patient"."id" FROM "appointments_patient"', True),
        ('(SELECT "id" FROM "appointments_appointment") UNION ALL (SELECT "id" FROM "x")', True),
        ("SELECT set_config('app.org_id', '1', true)", False),
        ("SELECT nextval('some_seq')", False),
        ("SELECT procrastinate_defer_jobs_v1(ARRAY[...])", False),
        ('INSERT INTO "audit_auditevent" VALUES (1)', False),
    ],
)
def test_a_select_that_changes_something_takes_the_savepoint_first(sql, reads_only):
    from tenancy.request_transaction import _reads_only

    assert _reads_only(sql) is reads_only
