"""Patient search by name under row-level security: the first word is a prefix of the
first or last name, matched through indexes leading with organization_id that the
planner may use before the policy (LIKE could not be)."""

from __future__ import annotations

import pytest
from django.db import connection

from clinic.appointments.models import Patient
from tenancy.context import tenant_context
from tests.support import factories

pytestmark = pytest.mark.django_db


def test_the_first_word_starts_the_first_or_the_last_name(org_a):
    with tenant_context(org=org_a):
        ada = factories.patient(first_name="Ada", last_name="Okafor")
        grace = factories.patient(first_name="Grace", last_name="Adams")
        assert set(Patient.objects.search("ad")) == {ada, grace}
        assert list(Patient.objects.search("okaf")) == [ada]
        assert list(Patient.objects.search("Okafor ada")) == [ada]
        assert list(Patient.objects.search("kafor")) == []  # not the start of a name


def test_a_renamed_patient_is_found_by_the_new_last_name(org_a):
    with tenant_context(org=org_a):
        patient = factories.patient(first_name="Ines", last_name="Haddad")
        patient.last_name = "Núñez"
        patient.save(update_fields=["last_name"])
        patient.refresh_from_db()
        assert (patient.search_name, patient.search_last) == ("ines nunez", "nunez")
        assert list(Patient.objects.search("nun")) == [patient]
        assert list(Patient.objects.search("hadd")) == []


def test_the_name_search_uses_only_operators_the_policy_lets_run_first(org_a):
    """Under RLS a condition can be an index condition only if its operators are
    leakproof: the name search compares text with >= and < (leakproof), never LIKE.
    (bench/scale.py prints the plan on a clinic of 50,000 patients: both ranges are
    index conditions with organization_id, in a BitmapOr.)"""
    with tenant_context(org=org_a):
        sql, params = Patient.objects.search("Mül ada").query.sql_with_params()
    where = sql.split(" WHERE ", 1)[1]
    assert where.count("LIKE") == 1  # the second word, checked on the rows found
    assert '"search_name" >= %s' in where and '"search_last" < %s' in where
    assert {"mul", "mum"} <= set(params)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT bool_and(p.proleakproof) FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode "
            "WHERE o.oprname IN ('>=', '<') AND o.oprleft = 'text'::regtype AND o.oprright = 'text'::regtype"
        )
        assert cursor.fetchone() == (True,)


def test_it_never_finds_another_clinics_patient_by_a_prefix(org_a, org_b):
    with tenant_context(org=org_b):
        factories.patient(first_name="Zelda", last_name="Quist")
    with tenant_context(org=org_a):
        assert Patient.objects.search("zel").count() == 0
        assert Patient.objects.search("qui").count() == 0
