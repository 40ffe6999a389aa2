"""`manage.py generate_load_data`: seeded synthetic clinics for benchmarks, loaded as the
runtime role through the RLS policies, reproducible, and clean for the RLS audit."""

from __future__ import annotations

import io
import json
import os

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from clinic.appointments.load_data import SKEW_FACTOR, load_clinics
from clinic.appointments.models import Appointment, Patient, Provider
from clinic.audit.models import AuditEvent
from clinic.messaging.models import SmsMessage
from tenancy.context import tenant_context
from tenancy.models import Organization
from tests.support.database import (
    _drop_abandoned_test_databases,
    _drop_database,
    manage_or_fail,
    run_manage,
    set_up_database,
)
from tests.support.rls_audit import assert_clean, expected_exit_code

SMALL = ("--clinics", "3", "--appointments-per-clinic", "20", "--patients-per-clinic", "4", "--skew")


def generate(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_load_data", *args, stdout=out)
    return out.getvalue()


def clinics(seed: int) -> list[Organization]:
    return load_clinics(seed)


def snapshot(seed: int) -> dict[str, tuple]:
    """Each clinic's content, without its random ids."""
    content = {}
    for org in clinics(seed):
        with tenant_context(org=org):
            content[org.slug] = (
                sorted(Patient.objects.values_list("first_name", "last_name", "phone", "date_of_birth", "sms_consent")),
                sorted(Provider.objects.values_list("name", "specialty")),
                sorted(
                    Appointment.objects.values_list("starts_at", "status", "patient__phone", "appointment_type__name")
                ),
                sorted(SmsMessage.objects.values_list("created_at", "direction", "body", "to_number")),
                AuditEvent.objects.count(),
            )
    return content


def test_it_loads_the_asked_counts_with_one_big_clinic(db):
    assert "Generated 3 clinics" in generate(*SMALL, "--seed", "21")
    big, *others = clinics(21)
    for org, factor in ((big, SKEW_FACTOR), *((other, 1) for other in others)):
        with tenant_context(org=org):
            assert Appointment.objects.count() == 20 * factor
            assert Patient.objects.count() == 4 * factor
            assert SmsMessage.objects.count() == 2 * 20 * factor
            assert AuditEvent.objects.filter(actor_label="load data").count() == 24 * factor
            assert Provider.objects.exists()
            statuses = set(Appointment.objects.values_list("status", flat=True))
            assert {"completed", "scheduled"} <= statuses


def test_each_clinic_sees_only_its_own_rows(db):
    generate("--clinics", "2", "--appointments-per-clinic", "5", "--patients-per-clinic", "3", "--seed", "22")
    first, second = clinics(22)
    with tenant_context(org=first):
        assert Appointment.objects.count() == 5
        assert not Patient.objects.filter(organization_id=second.id).exists()
        assert {row.organization_id for row in Appointment.objects.select_related("patient")} == {first.id}


def test_the_same_seed_gives_the_same_data(db):
    # The first load is undone by rolling its savepoint back: the runtime role may not
    # delete a clinic.
    with transaction.atomic():
        generate(*SMALL, "--seed", "23")
        first = snapshot(23)
        with pytest.raises(CommandError, match="seed 23 exists already"):
            generate(*SMALL, "--seed", "23")
        transaction.set_rollback(True)
    assert clinics(23) == []
    generate(*SMALL, "--seed", "23")
    assert snapshot(23) == first
    generate(*SMALL, "--seed", "24")
    assert list(snapshot(24).values()) != list(first.values())


@pytest.mark.parametrize("bad", [("--clinics", "0"), ("--appointments-per-clinic", "-1"), ("--clinics", "many")])
def test_it_refuses_bad_numbers(db, bad):
    with pytest.raises(CommandError, match="invalid"):
        generate(*bad)


def test_it_refuses_more_appointments_at_once_than_patients(db):
    with pytest.raises(CommandError, match="need at least 3 patients per clinic"):
        generate("--clinics", "1", "--appointments-per-clinic", "3000", "--patients-per-clinic", "2")


def test_on_a_fresh_database_the_rls_audit_finds_no_orphans():
    """In processes of their own, as an operator runs them, so the audit (another
    role, another connection) sees the committed rows."""
    prefix = "test_clinic_load"
    database = f"{prefix}_{os.getpid()}"
    env = {"DATABASE_NAME": database}
    _drop_abandoned_test_databases(prefix)
    try:
        set_up_database(env)
        assert "Generated 3 clinics" in manage_or_fail("generate_load_data", *SMALL, env=env)
        audit = run_manage("rls_audit", "--json", env=env)
        report = json.loads(audit.stdout)
        assert audit.returncode == expected_exit_code(), audit.stdout
        assert report["coverage"]["covered"] == report["coverage"]["tables"], report["coverage"]
        assert report["rows_checked_tables"] > 0
        assert report["orphans"] == {}
        assert_clean(report)
    finally:
        _drop_database(database)
