"""Consent records: one per change of a patient's texting consent, from every place
that changes it (the staff pages, the API, STOP/START, erasure), with who and the
clinic's wording; append-only for the runtime role; in the patient export; and the
API's read-only consent state and source."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from clinic.appointments.models import Patient
from clinic.data_rights.services import patient_erase, patient_export
from clinic.messaging.models import DEFAULT_CONSENT_WORDING, SmsConsentRecord, SmsOptOut
from clinic.messaging.services import sms_settings_save
from tenancy.context import TenantContextError, tenant_context
from tests.support import factories
from tests.support.people import login
from tests.support.sms import enable_sms, reply

pytestmark = pytest.mark.django_db
SENDER_A = "+12025550199"
WORDING = "I agree to appointment texts from Clinic A. Reply STOP to stop."


@pytest.fixture
def clinic_a(org_a, people_a):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
        sms_settings_save(consent_wording=WORDING)
    return people_a


def records(org, patient_id) -> list[tuple]:
    with tenant_context(org=org):
        rows = SmsConsentRecord.objects.filter(patient_id=patient_id).order_by("at")
        return [(r.consented, r.source, r.actor_type, r.actor_label, r.wording) for r in rows]


def test_registration_on_the_staff_page_records_the_consent_with_the_wording(client, org_a, staff_a, clinic_a):
    from tests.support.patients import new_patient

    login(client, staff_a, org=org_a)
    client.post("/patients/new/", new_patient())
    with tenant_context(org=org_a):
        grace = Patient.objects.get(first_name="Grace")
    assert records(org_a, grace.pk) == [(True, "staff", "user", "sam_staff_a", WORDING)]


def test_staff_opt_out_and_opt_in_are_recorded_with_the_reason(client, org_a, staff_a, clinic_a):
    login(client, staff_a, org=org_a)
    jane = clinic_a.jane
    client.post(f"/patients/{jane.pk}/sms-opt-out/", {"reason": "Asked on the phone"})
    client.post(f"/patients/{jane.pk}/sms-opt-in/", {"reason": "Asked at the desk"})
    assert records(org_a, jane.pk) == [
        (False, "staff", "user", "sam_staff_a", ""),
        (True, "staff", "user", "sam_staff_a", WORDING),
    ]
    with tenant_context(org=org_a):
        history = list(SmsOptOut.objects.order_by("at").values_list("opted_out", "method", "reason", "actor_label"))
    assert history == [
        (True, "staff", "Asked on the phone", "sam_staff_a"),
        (False, "staff", "Asked at the desk", "sam_staff_a"),
    ]


def test_keywords_are_recorded_as_the_patients_own(client, org_a, clinic_a):
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="STOP")
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="START")
    rows = records(org_a, clinic_a.jane.pk)
    assert [(consented, source, actor) for consented, source, actor, _, _ in rows] == [
        (False, "keyword", "sms_webhook"),
        (True, "keyword", "sms_webhook"),
    ]
    assert rows[1][4] == WORDING


def test_the_api_records_its_key_and_shows_the_state_and_source(api_a, org_a, clinic_a, key_a):
    created = api_a.post(
        "patients/",
        {"first_name": "Ann", "last_name": "Api", "date_of_birth": "1970-01-01", "phone": "+12025550133"},
    ).json()
    assert (created["sms_consent"], created["sms_consent_source"], created["sms_number_opted_out"]) == (
        "opted_in",
        "api",
        False,
    )
    out = api_a.post(f"patients/{created['id']}/sms-opt-out/", {"reason": "By letter"})
    assert out.status_code == 200, out.content
    assert (out.json()["sms_consent"], out.json()["sms_consent_source"], out.json()["sms_number_opted_out"]) == (
        "opted_out",
        "api",
        True,
    )
    refused = api_a.post(f"patients/{created['id']}/sms-opt-in/", {})
    assert refused.status_code == 400 and "reason" in refused.json()["error"]["fields"]
    back = api_a.post(f"patients/{created['id']}/sms-opt-in/", {"reason": "Asked by email"}).json()
    assert (back["sms_consent"], back["sms_number_opted_out"]) == ("opted_in", False)
    listed = {row["id"]: row for row in api_a.get("patients/").json()["results"]}
    assert listed[created["id"]]["sms_consent_source"] == "api"
    rows = records(org_a, created["id"])
    assert [(consented, source, actor) for consented, source, actor, _, _ in rows] == [
        (True, "api", "api_key"),
        (False, "api", "api_key"),
        (True, "api", "api_key"),
    ]


def test_the_api_shows_a_number_opted_out_by_stop_before_registration(client, api_a, clinic_a):
    reply(client, to=SENDER_A, from_="+12025550134", body="STOP")
    created = api_a.post(
        "patients/",
        {"first_name": "Bo", "last_name": "Later", "date_of_birth": "1970-01-01", "phone": "+12025550134"},
    ).json()
    assert (created["sms_consent"], created["sms_number_opted_out"]) == ("opted_in", True)


def test_another_clinics_patient_has_no_opt_out_action(api_a, people_b, org_b):
    for action, data in (("sms-opt-out", {}), ("sms-opt-in", {"reason": "x"})):
        assert api_a.post(f"patients/{people_b.jane.pk}/{action}/", data).status_code == 404
    with tenant_context(org=org_b):
        assert not SmsConsentRecord.objects.exists() and not SmsOptOut.objects.exists()


def test_erasure_records_the_withdrawal(org_a, clinic_a):
    with tenant_context(org=org_a):
        patient_erase(patient=clinic_a.jane)
    assert records(org_a, clinic_a.jane.pk) == [(False, "system", "system", "", "")]


def test_the_default_wording_stands_when_none_is_set(org_a, people_a):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
        sms_settings_save(consent_wording="   ")
        from clinic.messaging.models import SmsSettings

        assert SmsSettings.objects.get().consent_wording == DEFAULT_CONSENT_WORDING


def test_the_export_holds_the_consent_records_and_the_numbers_opt_outs(client, org_a, clinic_a):
    reply(client, to=SENDER_A, from_=clinic_a.jane.phone, body="STOP")
    with tenant_context(org=org_a):
        data = patient_export(patient=Patient.objects.get(pk=clinic_a.jane.pk))
    assert [(r["consented"], r["source"]) for r in data["consent_records"]] == [(False, "keyword")]
    assert [(e["opted_out"], e["keyword"], e["sender_number"]) for e in data["number_opt_out_history"]] == [
        (True, "STOP", SENDER_A)
    ]


@pytest.mark.parametrize("table", ["messaging_smsconsentrecord", "messaging_smsoptout"])
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET at = now() - interval '10 years' WHERE id = %(id)s",
        "DELETE FROM {table} WHERE id = %(id)s",
        "TRUNCATE {table}",
    ],
)
def test_the_runtime_role_cannot_change_or_delete_a_record(org_a, table, statement):
    with tenant_context(org=org_a):
        row = factories.sms_consent_record() if table == "messaging_smsconsentrecord" else factories.sms_opt_out()
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement.format(table=table), {"id": row.pk})
        assert type(row).objects.filter(pk=row.pk).exists()
        with pytest.raises(TenantContextError, match="append-only"):
            row.save()
