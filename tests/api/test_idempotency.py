"""`Idempotency-Key` on POST: a retry replays the first response and creates nothing
twice, even when the two requests arrive at the same moment."""

from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor
from threading import Event, get_ident

import pytest
from django.db import connections
from django.utils import timezone

from clinic.api.models import IdempotencyRecord
from clinic.appointments import signals
from clinic.appointments.models import Patient
from tenancy.context import tenant_context
from tenancy.models import Organization
from tests.support import factories
from tests.support.api import ApiClient, make_key
from tests.support.database import admin_connection, delete_committed_clinics
from tests.support.locks import WAIT_SECONDS, wait_until_a_backend_waits_for_a_lock

PATIENT = {"first_name": "Ida", "last_name": "Key", "date_of_birth": "1970-01-01", "phone": "+14155550500"}


def patients(org) -> list[str]:
    with tenant_context(org=org):
        return list(Patient.objects.values_list("first_name", flat=True))


def test_a_retry_with_the_same_key_replays_the_first_response(api_a, org_a):
    first = api_a.post("patients/", PATIENT, **{"Idempotency-Key": "abc-1"})
    again = api_a.post("patients/", PATIENT, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert patients(org_a) == ["Ida"]


def test_the_same_key_with_another_body_is_refused(api_a, org_a):
    api_a.post("patients/", PATIENT, **{"Idempotency-Key": "abc-2"})
    response = api_a.post("patients/", {**PATIENT, "first_name": "Other"}, **{"Idempotency-Key": "abc-2"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert api_a.post("providers/", {"name": "X"}, **{"Idempotency-Key": "abc-2"}).status_code == 422
    assert patients(org_a) == ["Ida"]


def test_without_a_key_each_post_is_its_own(api_a, org_a):
    first = api_a.post("patients/", PATIENT)
    second = api_a.post("patients/", PATIENT)
    assert first.status_code == second.status_code == 201  # a family may share a phone
    assert first.json()["id"] != second.json()["id"]
    assert patients(org_a) == ["Ida", "Ida"]


def test_keys_belong_to_one_caller(api_a, org_a):
    other = ApiClient(make_key(org_a, name="Other integration"))
    api_a.post("patients/", PATIENT, **{"Idempotency-Key": "shared"})
    response = other.post("patients/", {**PATIENT, "phone": "+14155550501"}, **{"Idempotency-Key": "shared"})
    assert response.status_code == 201
    assert patients(org_a) == ["Ida", "Ida"]


def test_a_failed_request_keeps_no_record_so_the_key_can_be_retried(api_a, org_a):
    bad = api_a.post("patients/", {**PATIENT, "phone": "12"}, **{"Idempotency-Key": "fix-me"})
    assert bad.status_code == 400
    good = api_a.post("patients/", {**PATIENT, "phone": "12"}, **{"Idempotency-Key": "fix-me"})
    assert good.status_code == 400  # run again, not replayed
    assert "Idempotent-Replayed" not in good
    with tenant_context(org=org_a):
        assert not IdempotencyRecord.objects.exists()


def test_after_24_hours_the_key_is_free_again(api_a, org_a):
    api_a.post("patients/", PATIENT, **{"Idempotency-Key": "old"})
    with tenant_context(org=org_a):
        IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    response = api_a.post("patients/", {**PATIENT, "phone": "+14155550502"}, **{"Idempotency-Key": "old"})
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert patients(org_a) == ["Ida", "Ida"]


@pytest.mark.parametrize("key", ["", "x" * 256, "clé"])
def test_a_bad_key_is_refused(api_a, key):
    response = api_a.post("patients/", PATIENT, **{"Idempotency-Key": key})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"


def test_status_actions_are_idempotent_too(api_a, people_a):
    with tenant_context(org=people_a.org):
        appointment = factories.appointment(
            patient=people_a.jane, provider=people_a.ada, appointment_type=people_a.checkup
        )
    first = api_a.post(f"appointments/{appointment.pk}/confirm/", **{"Idempotency-Key": "confirm-1"})
    again = api_a.post(f"appointments/{appointment.pk}/confirm/", **{"Idempotency-Key": "confirm-1"})
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"


# --- Two identical requests at the same moment ----------------------------------


@pytest.fixture
def committed_clinic(django_db_setup, django_db_blocker):
    """A clinic with a key, committed (the two requests run in transactions of their own)."""
    org_id = uuid.uuid4()

    def create():
        try:
            with tenant_context(org=org_id):
                Organization.objects.create(id=org_id, name="Twin Clinic", slug=f"twin-{org_id}", timezone="UTC")
                people = (factories.patient(), factories.provider(), factories.appointment_type(default_duration=30))
            return make_key(org_id), people
        finally:
            connections.close_all()

    with django_db_blocker.unblock(), ThreadPoolExecutor(1) as pool:
        key, people = pool.submit(create).result()
    yield org_id, key, people
    delete_committed_clinics(org_id)


def test_two_identical_posts_at_once_create_one_appointment(committed_clinic, django_db_blocker):
    org_id, key, (patient, provider, kind) = committed_clinic
    data = {
        "patient": str(patient.pk),
        "provider": str(provider.pk),
        "appointment_type": str(kind.pk),
        "starts_at": "2030-03-04T09:00:00Z",
    }
    first_thread, first_booked, first_may_commit = [], Event(), Event()

    def hold_the_first(sender, **kwargs):
        if get_ident() == first_thread[0]:
            first_booked.set()
            assert first_may_commit.wait(WAIT_SECONDS)

    def post(first: bool):
        if first:
            first_thread.append(get_ident())
        try:
            return ApiClient(key).post("appointments/", data, **{"Idempotency-Key": "twin"})
        finally:
            connections.close_all()

    signals.appointment_changed.connect(hold_the_first)
    try:
        with django_db_blocker.unblock(), ThreadPoolExecutor(2) as pool:
            first = pool.submit(post, True)
            assert first_booked.wait(WAIT_SECONDS)
            second = pool.submit(post, False)
            wait_until_a_backend_waits_for_a_lock()  # the second waits on the first's claim
            first_may_commit.set()
            responses = [first.result(WAIT_SECONDS), second.result(WAIT_SECONDS)]
    finally:
        signals.appointment_changed.disconnect(hold_the_first)

    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert responses[1]["Idempotent-Replayed"] == "true"
    with admin_connection() as conn:
        count = conn.execute("SELECT count(*) FROM appointments_appointment WHERE organization_id = %s", [org_id])
        assert count.fetchone()[0] == 1
