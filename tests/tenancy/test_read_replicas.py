"""Read replicas (tenancy.replica): the API's lists, the SMS log and the audit page
(and its export) read from a real streaming standby, under the same RLS and tenant
proof; a request that wrote, or a session that just did, reads from the primary; the
audit events of a page read on the replica are written on the primary.

A standby sees only committed rows, so these tests cannot run in a test transaction:
the module works in a database of its own, made from the migrated test database and
dropped after (tests/support/replica.py starts the standby)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from psycopg import sql

from clinic.appointments.models import Patient
from clinic.audit.models import AuditEvent
from tenancy.context import ORG_SETTING, set_transaction_settings, tenant_context
from tenancy.database import REPLICA_ALIAS, Role, replica_database, server_from_url
from tenancy.replica import replica_reads
from tenancy.services import organization_create
from tests.support import factories, isolation
from tests.support.api import ApiClient, make_key
from tests.support.database import _admin_execute, _drop_database
from tests.support.people import clinic_people, login, make_user
from tests.support.replica import free_port, start_standby

LISTS = {
    "patients": "appointments_patient",
    "providers": "appointments_provider",
    "appointment-types": "appointments_appointmenttype",
    "appointments": "appointments_appointment",
    "sms-messages": "messaging_smsmessage",
}


@pytest.fixture(scope="module")
def standby(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        running = start_standby()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def own_database(standby, django_db_setup, django_db_blocker):
    """The migrated test database copied into one of this module's own, the app's
    aliases pointed at it, and the replica alias at the standby's copy of it."""
    aliases = [alias for alias in connections if alias != REPLICA_ALIAS]
    template = connections["default"].settings_dict["NAME"]
    # Named as the suite's test databases are, so an abandoned one is dropped by a later run.
    name = f"{settings.DATABASES['default']['TEST']['NAME']}_replicas_{os.getpid()}"
    with django_db_blocker.unblock():
        for alias in aliases:
            connections[alias].close()
        _drop_database(name)
        _admin_execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
        call_command("db_roles", database_name=name, verbosity=0)
        for alias in aliases:
            connections[alias].settings_dict["NAME"] = name
        replica = replica_database(standby.server, settings.DATABASE_ROLES["default"], 0)
        replica["NAME"] = name
        configured = connections.configure_settings({"default": {}, REPLICA_ALIAS: replica})
        connections.settings[REPLICA_ALIAS] = configured[REPLICA_ALIAS]
        standby.catch_up()
    yield name
    with django_db_blocker.unblock():
        connections[REPLICA_ALIAS].close()
        del connections[REPLICA_ALIAS]
        del connections.settings[REPLICA_ALIAS]
        for alias in aliases:
            connections[alias].close()
            connections[alias].settings_dict["NAME"] = template
        _drop_database(name)


@pytest.fixture(scope="module")
def clinics(own_database, standby, django_db_blocker):
    """Two clinics with people, texts, an appointment in B and an API key each, committed
    and replayed on the standby."""
    from types import SimpleNamespace

    with django_db_blocker.unblock():
        owner_a, owner_b = make_user("olivia_owner_a"), make_user("bruno_owner_b")
        org_a = organization_create(name="Clinic A", slug="clinic-a", timezone="Europe/Berlin", owner=owner_a)
        org_b = organization_create(name="Clinic B", slug="clinic-b", timezone="America/New_York", owner=owner_b)
        people_a, people_b = clinic_people(org_a), clinic_people(org_b, prefix="Other")
        for people in (people_a, people_b):
            with tenant_context(org=people.org):
                factories.sms_message(patient=people.jane, body=f"Hello {people.jane.first_name}")
        with tenant_context(org=org_a):
            factories.appointment(patient=people_a.jane, provider=people_a.ada, appointment_type=people_a.checkup)
        with tenant_context(org=org_b):
            appointment_b = factories.appointment(
                patient=people_b.jane, provider=people_b.ada, appointment_type=people_b.checkup
            )
        standby.catch_up()
        return SimpleNamespace(
            owner_a=owner_a,
            owner_b=owner_b,
            people_a=people_a,
            people_b=people_b,
            appointment_b=appointment_b,
            api_a=ApiClient(make_key(org_a)),
            api_b=ApiClient(make_key(org_b)),
        )


@pytest.fixture(autouse=True)
def committed(clinics, django_db_blocker, monkeypatch, settings):
    """Database access outside a test transaction; keys whose use was noted recently
    (noting it is a write, which keeps a request on the primary); no session window
    unless a test sets one."""
    monkeypatch.setattr("clinic.api.authentication.LAST_USED_PRECISION", dt.timedelta(days=1))
    settings.REPLICA_READ_YOUR_WRITES_SECONDS = 0
    with django_db_blocker.unblock():
        yield


def tables_read(queries) -> set[str]:
    return {table for table in LISTS.values() for query in queries if f'FROM "{table}"' in query["sql"]}


@pytest.mark.parametrize(("resource", "table"), LISTS.items())
def test_list_endpoints_read_from_the_replica(clinics, resource, table):
    clinics.api_a.get("me/")  # the key's use noted: from here on its requests write nothing
    with (
        CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
    ):
        response = clinics.api_a.get(f"{resource}/")
    assert response.status_code == 200
    mine = {row["id"] for row in response.json()["results"]}
    assert mine
    assert table in tables_read(replica.captured_queries)
    assert table not in tables_read(primary.captured_queries)
    clinics.api_b.get("me/")
    theirs = {row["id"] for row in clinics.api_b.get(f"{resource}/").json()["results"]}
    assert theirs and not mine & theirs
    assert "Other" not in response.content.decode()


def test_an_unreachable_replica_is_read_around(clinics, monkeypatch):
    connections[REPLICA_ALIAS].close()
    dead = connections[REPLICA_ALIAS].settings_dict
    monkeypatch.setitem(dead, "HOST", "127.0.0.1")
    monkeypatch.setitem(dead, "PORT", str(free_port()))
    clinics.api_a.get("me/")
    with CaptureQueriesContext(connections["default"]) as primary:
        response = clinics.api_a.get("patients/")
    connections[REPLICA_ALIAS].close()
    assert response.status_code == 200
    assert {"Jane", "John"} <= {row["first_name"] for row in response.json()["results"]}
    assert "appointments_patient" in tables_read(primary.captured_queries)


@pytest.mark.parametrize("resource", ["patients", "providers", "appointment-types", "appointments"])
def test_held_list_isolation_test_through_the_replica(clinics, standby, resource):
    """tests/api/test_isolation.py's list test, its lists served by the standby."""
    for client in (clinics.api_a, clinics.api_b):
        client.get("me/")
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica:
        isolation.api_lists_never_show_another_clinics_rows(
            clinics.api_a, clinics.api_b, clinics.people_a, clinics.people_b, resource
        )
    assert LISTS[resource] in tables_read(replica.captured_queries)


class CaughtUpClient(Client):
    """The test client, each request made once the standby has replayed everything
    before it: a held test written for one database then reads, on the standby, what
    it has just written (lag is the lag test's business)."""

    def __init__(self, standby, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.standby = standby

    def request(self, **request):
        self.standby.catch_up()
        return super().request(**request)


@pytest.fixture
def fresh(standby, request):
    """Two clinics of the test's own, as the held tests' fixtures make them (org_a,
    staff_a, people_a, api_a and B's), committed; clients caught up with the standby."""
    from types import SimpleNamespace

    from tenancy.models import Membership
    from tests.support.people import add_member

    n = request.node.nodeid.__hash__() & 0xFFFFFF
    owners = [make_user(f"owner_{side}_{n}") for side in "ab"]
    org_a, org_b = (
        organization_create(name=f"Clinic {side.upper()} {n}", slug=f"c-{side}-{n}", timezone=zone, owner=owner)
        for side, zone, owner in zip("ab", ("Europe/Berlin", "America/New_York"), owners, strict=True)
    )
    staff_a = make_user(f"staff_a_{n}", first_name="Sam", last_name="Staff")
    add_member(org_a, staff_a, Membership.Role.STAFF)
    people_a, people_b = clinic_people(org_a), clinic_people(org_b, prefix="Other")
    with tenant_context(org=org_b):
        appointment_b = factories.appointment(
            patient=people_b.jane, provider=people_b.ada, appointment_type=people_b.checkup
        )
    as_staff = CaughtUpClient(standby)
    login(as_staff, staff_a, org_a)
    return SimpleNamespace(
        people_a=people_a,
        people_b=people_b,
        appointment_b=appointment_b,
        as_staff=as_staff,
        api_a=ApiClient(make_key(org_a), client=CaughtUpClient(standby)),
        api_b=ApiClient(make_key(org_b), client=CaughtUpClient(standby)),
    )


def test_held_sms_list_isolation_test_through_the_replica(fresh):
    """tests/api/test_sms_messages.py's isolation test, its lists served by the standby."""
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica:
        isolation.api_texts_never_listed_found_or_filtered_for(
            fresh.api_a, fresh.api_b, fresh.people_a, fresh.people_b, fresh.appointment_b
        )
    assert "messaging_smsmessage" in tables_read(replica.captured_queries)


def test_held_sms_log_isolation_test_through_the_replica(fresh):
    """tests/messaging/test_pages.py's isolation test of the SMS log, the log served by the standby."""
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica:
        isolation.sms_log_never_lists_another_clinics_texts(fresh.as_staff, fresh.people_a, fresh.people_b)
    assert "messaging_smsmessage" in tables_read(replica.captured_queries)


def test_the_replica_shows_a_clinic_its_own_rows_only(clinics):
    a, b = clinics.people_a, clinics.people_b
    with tenant_context(org=a.org, using=REPLICA_ALIAS):
        names = set(Patient.objects.using(REPLICA_ALIAS).values_list("first_name", flat=True))
    assert names == {"Jane", "John"}
    with tenant_context(org=b.org, using=REPLICA_ALIAS):
        assert set(Patient.objects.using(REPLICA_ALIAS).values_list("first_name", flat=True)) == {
            "OtherJane",
            "OtherJohn",
        }
    # No tenant: nothing.
    with connections[REPLICA_ALIAS].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM appointments_patient")
        assert cursor.fetchone()[0] == 0


def test_the_replica_refuses_another_clinic_under_this_clinics_proof(clinics):
    with tenant_context(org=clinics.people_a.org, using=REPLICA_ALIAS):
        set_transaction_settings({ORG_SETTING: str(clinics.people_b.org.id)}, using=REPLICA_ALIAS)
        assert not Patient.objects.using(REPLICA_ALIAS).exists()


def test_a_replica_transaction_writes_nothing(clinics):
    with pytest.raises(DatabaseError, match="read-only transaction"):
        with tenant_context(org=clinics.people_a.org, using=REPLICA_ALIAS):
            Patient.objects.using(REPLICA_ALIAS).filter(pk=clinics.people_a.jane.pk).update(first_name="Janet")


def test_the_sms_log_reads_from_the_replica_and_shows_no_other_clinic(clinics):
    client = Client()
    login(client, clinics.owner_a, clinics.people_a.org)
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica:
        response = client.get("/sms/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Jane" in page and "Other" not in page
    assert "messaging_smsmessage" in tables_read(replica.captured_queries)


def test_the_audit_export_reads_from_the_replica_and_records_on_the_primary(clinics, standby):
    client = Client()
    login(client, clinics.owner_a, clinics.people_a.org)
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica:
        response = client.get("/audit/", {"format": "csv"})
    assert response.status_code == 200
    assert any('FROM "audit_auditevent"' in query["sql"] for query in replica.captured_queries)
    request_id = response["X-Request-ID"]
    exported = AuditEvent.Action.EXPORT
    with tenant_context(org=clinics.people_a.org):
        assert AuditEvent.objects.filter(action=exported, request_id=request_id).count() == 1
    standby.catch_up()
    with tenant_context(org=clinics.people_a.org, using=REPLICA_ALIAS):
        assert AuditEvent.objects.using(REPLICA_ALIAS).filter(action=exported, request_id=request_id).exists()
    assert str(clinics.people_b.org.id) not in response.content.decode()


def test_the_audit_page_reads_from_the_replica(clinics):
    client = Client()
    login(client, clinics.owner_a, clinics.people_a.org)
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica:
        response = client.get("/audit/")
    assert response.status_code == 200
    assert any('FROM "audit_auditevent"' in query["sql"] for query in replica.captured_queries)


def test_the_audit_page_filters_by_patient_name_on_the_replica(clinics, standby):
    """The name filter is a subquery of patients: it runs on the replica with the events."""
    client = Client()
    login(client, clinics.owner_a, clinics.people_a.org)
    with tenant_context(org=clinics.people_a.org):
        factories.audit_event(action=AuditEvent.Action.VIEW, patient_id=clinics.people_a.jane.pk)
    standby.catch_up()
    filtered = client.post("/audit/", {"patient_name": "Jane"})
    assert filtered.status_code in (302, 303)
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica:
        response = client.get(filtered["Location"])
    assert response.status_code == 200
    events = list(response.context["page"].object_list)
    assert events and {event.patient_id for event in events} == {clinics.people_a.jane.pk}
    assert any('"appointments_patient"' in query["sql"] for query in replica.captured_queries)


def test_a_request_that_wrote_reads_from_the_primary(clinics, monkeypatch):
    # Noting the key's use is this request's first statement that writes.
    monkeypatch.setattr("clinic.api.authentication.LAST_USED_PRECISION", dt.timedelta(0))
    with (
        CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
    ):
        response = clinics.api_a.get("patients/")
    assert response.status_code == 200
    assert "appointments_patient" in tables_read(primary.captured_queries)
    assert not replica.captured_queries
    # A key has no session, and its writes give it none.
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_without_a_replica_everything_reads_from_the_primary(clinics, monkeypatch):
    monkeypatch.delitem(connections.settings, REPLICA_ALIAS)
    clinics.api_a.get("me/")
    with CaptureQueriesContext(connections["default"]) as primary:
        response = clinics.api_a.get("patients/")
    assert response.status_code == 200
    assert "appointments_patient" in tables_read(primary.captured_queries)


@pytest.fixture
def replay_paused(standby):
    if not standby.real:
        pytest.skip(f"no streaming standby: {standby.reason}")
    standby.catch_up()
    standby.pause_replay()
    try:
        yield standby
    finally:
        standby.resume_replay()


def test_a_lagging_replica_is_read_until_this_request_or_session_writes(clinics, replay_paused, settings):
    """With the standby's replay paused (as far behind as it may lag), a new patient is
    missing from the replica's list, yet a session that created it sees it at once."""
    settings.REPLICA_READ_YOUR_WRITES_SECONDS = 3600
    writer, reader = Client(), Client()
    login(writer, clinics.owner_a, clinics.people_a.org)
    login(reader, clinics.owner_a, clinics.people_a.org)
    # The sign-ins wrote: those sessions read from the primary for the window, so the
    # reader's is shortened to nothing, as if it had signed in long ago.
    session = reader.session
    session.pop("_tenancy_wrote_at", None)
    session.save()
    body = {"first_name": "Lag", "last_name": "Test", "date_of_birth": "1990-01-01", "phone": "+14155550777"}
    created = ApiClient(client=writer).post("patients/", body)
    assert created.status_code == 201, created.content
    new_id = created.json()["id"]

    def listed(client) -> set[str]:
        response = ApiClient(client=client).get("patients/")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica:
        assert new_id not in listed(reader)  # the replica has not replayed the insert
    assert replica.captured_queries
    assert new_id in listed(writer)  # the session wrote: its reads stay on the primary
    replay_paused.resume_replay()
    replay_paused.catch_up()
    assert new_id in listed(reader)


def test_the_replica_alias_is_the_runtime_role_read_only():
    url = "postgresql://admin:secret@db1:5432,db2:5432/clinic?target_session_attrs=prefer-standby"
    alias = replica_database(server_from_url(url, with_admin_credentials=False), Role("clinic_app", "pw"), 60)
    assert (alias["HOST"], alias["PORT"], alias["NAME"]) == ("db1,db2", "5432,5432", "clinic")
    assert (alias["USER"], alias["PASSWORD"]) == ("clinic_app", "pw")
    assert alias["OPTIONS"] == {
        "target_session_attrs": "prefer-standby",
        "options": "-c default_transaction_read_only=on",
    }
    assert not alias["ATOMIC_REQUESTS"]


def test_the_replica_alias_exists_only_with_database_replica_url(monkeypatch):
    from clinic.settings import database_settings

    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)
    assert REPLICA_ALIAS not in database_settings(privileged=False)[2]
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgresql://standby:5433/elsewhere")
    databases = database_settings(privileged=False)[2]
    assert databases[REPLICA_ALIAS]["HOST"] == "standby"
    # The primary's database: a standby is a copy of the whole server.
    assert databases[REPLICA_ALIAS]["NAME"] == databases["default"]["NAME"]


def test_outside_a_request_a_transaction_that_wrote_reads_from_the_primary(clinics):
    """A job, say: no middleware has watched it, so the primary's transaction is asked."""
    with tenant_context(org=clinics.people_a.org):
        with replica_reads() as using:
            assert using == REPLICA_ALIAS
            assert Patient.objects.using(using).filter(first_name="Jane").exists()
        patient = factories.patient(first_name="Written", last_name="Now")
        with replica_reads() as using:
            assert using == "default"
            assert Patient.objects.using(using).filter(pk=patient.pk).exists()
        patient.delete()
