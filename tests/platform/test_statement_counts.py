"""What a signed-in page costs the database, in statements: a count is deterministic,
unlike a time. Each staff page is read twice, the second time counted, on a full
day's worth of data (so a query per row would show), and must stay within its
budget; every page sets its tenant once (one proof, one set_config), writes nothing
but its own audit events, and runs no statement twice.

The test runs inside a transaction of its own, so the request's transaction is a
savepoint here (SAVEPOINT / RELEASE stand for BEGIN / COMMIT), and the tenant
middleware's block ends by resetting the tenant for the test's code: production has
no such reset (its transaction ends), so it is not counted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenancy.context import tenant_context
from tests.support import factories
from tests.support.people import add_member, login, make_user
from tests.support.two_factor import sign_in_with_code

DAY = dt.date(2030, 1, 7)
PROVIDERS = 4
PER_PROVIDER = 8  # 32 appointments on DAY
TEST_ONLY_RESET = (
    "SELECT set_config('app.org_id', '', true), set_config('app.user_id', '', true), "
    "set_config('app.context_proof', '', true)"
)
WRITES = ("INSERT", "UPDATE", "DELETE")
# Statements per page, as production runs them. The fixed part of a clinic page is
# 7: the session, the user, BEGIN, the proof, set_config, the memberships (with the
# navigation's inbox counts, texts and voicemails) and COMMIT. The view joins that
# transaction and takes a savepoint only before its first write; a page's own audit
# event is written after the view returned, without one (tenancy.request_transaction).
# The rest is the page's own (the day view: the appointments with their SMS marks, the
# providers with their hours, the busy times; a record's short lists are columns of its
# read, clinic/core/row_lists.py). A manager's page asks for the session's second factor only when the
# clinic requires it (read with the membership).
BUDGET = {
    "healthz": 2,
    "day": 10,
    "patients": 9,
    "patient": 10,
    "appointment": 10,
    "sms_log": 9,
    "sms_inbox": 10,
    "audit": 10,
    "members": 9,
    "setup": 10,
    "security": 9,
    "sms_settings": 8,
    "api_keys": 8,
    "webhooks": 8,
    "calendars": 10,
    "calls": 9,
    "patient_new": 7,
    "patient_edit": 9,
    "appointment_cancel": 8,
    "appointment_new": 10,
    "appointment_edit": 10,
    "clinics": 9,
    "two_factor": 9,
    "password_change": 7,
    "voice_settings": 9,
    "patient_erase": 8,
    "webhook": 9,
    "sms_opt_outs": 10,
    "provider_new": 7,
    "provider_edit": 8,
    "provider_hours": 9,
    "type_new": 7,
    "type_edit": 8,
    "clinic_close": 7,
}
# A manager's pages, read by the clinic's owner.
MANAGER_PAGES = {
    "audit": "/audit/",
    "members": "/members/",
    "setup": "/setup/",
    "security": "/settings/security/",
    "sms_settings": "/sms/settings/",
    "sms_opt_outs": "/sms/settings/opt-outs/",
    "api_keys": "/settings/api-keys/",
    "webhooks": "/settings/webhooks/",
    "calendars": "/calendars/",
    "voice_settings": "/calls/settings/",
    "provider_new": "/setup/providers/new/",
    "type_new": "/setup/types/new/",
    "clinic_close": "/clinic/close/",
}


@pytest.fixture
def full_day(org_a):
    """Four providers with 8 half-hour appointments each on DAY, texts and audit events."""
    with tenant_context(org=org_a):
        kind = factories.appointment_type(name="Check-up", default_duration=30)
        visits = []
        for p in range(PROVIDERS):
            provider = factories.provider(name=f"Provider {p}")
            factories.working_hours(provider=provider, weekday=DAY.weekday())
            for slot in range(PER_PROVIDER):
                starts = dt.datetime.combine(DAY, dt.time(8), tzinfo=org_a.zone) + dt.timedelta(minutes=30 * slot)
                patient = factories.patient(first_name=f"P{p}", last_name=f"Slot {slot}")
                visits.append(
                    factories.appointment(
                        patient=patient,
                        provider=provider,
                        appointment_type=kind,
                        starts_at=starts,
                        ends_at=starts + dt.timedelta(minutes=30),
                    )
                )
        for visit in visits[:10]:
            factories.sms_message(patient=visit.patient, appointment=visit, to_number=visit.patient.phone)
            factories.sms_message(
                direction="in",
                kind="inbound",
                status="received",
                from_number=visit.patient.phone,
                to_number="+12025550100",
                patient=visit.patient,
                needs_attention=True,
            )
            factories.audit_event(
                object_type="appointments.Appointment", object_id=visit.pk, patient_id=visit.patient_id
            )
        for visit in visits[:5]:
            factories.voicemail(patient=visit.patient, call=factories.call(from_number=visit.patient.phone))
    return visits


def manager_pages(visits, webhook) -> dict[str, str]:
    """A manager's pages of one record."""
    visit = visits[0]
    return {
        "patient_erase": f"/patients/{visit.patient_id}/erase/",
        "webhook": f"/settings/webhooks/{webhook.pk}/",
        "provider_edit": f"/setup/providers/{visit.provider_id}/edit/",
        "provider_hours": f"/setup/providers/{visit.provider_id}/hours/",
        "type_edit": f"/setup/types/{visit.appointment_type_id}/edit/",
    }


@pytest.fixture
def staff_client(client, org_a, full_day):
    from tenancy.models import Membership

    user = make_user("sue_staff")
    add_member(org_a, user, Membership.Role.STAFF)
    login(client, user, org=org_a)
    return client


@pytest.fixture
def owner_client(client, org_a, owner_a, full_day):
    sign_in_with_code(client, owner_a, org_a)
    return client


def statements(client, url: str) -> list[str]:
    assert client.get(url).status_code == 200  # the session's first page records activity
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    run = [query["sql"] for query in captured.captured_queries]
    if run and run[-2:-1] == [TEST_ONLY_RESET]:
        del run[-2]
    return run


def staff_pages(visits) -> dict[str, str]:
    return {
        "healthz": "/healthz",
        "day": f"/?date={DAY.isoformat()}",
        "patients": "/patients/",
        "patient": f"/patients/{visits[0].patient_id}/",
        "appointment": f"/appointments/{visits[0].pk}/",
        "sms_log": "/sms/",
        "sms_inbox": "/sms/inbox/",
        "calls": "/calls/",
        "patient_new": "/patients/new/",
        "patient_edit": f"/patients/{visits[0].patient_id}/edit/",
        "appointment_cancel": f"/appointments/{visits[0].pk}/cancel/",
        "appointment_new": "/appointments/new/",
        "appointment_edit": f"/appointments/{visits[0].pk}/edit/",
        "clinics": "/clinics/",
        "two_factor": "/accounts/two-factor/",
        "password_change": "/accounts/password_change/",
    }


STAFF_PAGES = ["healthz", "day", "patients", "patient", "appointment", "sms_log", "sms_inbox", "calls"]
STAFF_PAGES += ["patient_new", "patient_edit", "appointment_new", "appointment_edit", "appointment_cancel"]
STAFF_PAGES += ["clinics", "two_factor", "password_change"]


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_a_staff_page_stays_within_its_statements(staff_client, full_day, page):
    run = statements(staff_client, staff_pages(full_day)[page])
    check(page, run)


@pytest.mark.parametrize("page", sorted(MANAGER_PAGES))
def test_a_managers_page_stays_within_its_statements(owner_client, page):
    check(page, statements(owner_client, MANAGER_PAGES[page]))


@pytest.mark.parametrize("page", ["patient_erase", "webhook", "provider_edit", "provider_hours", "type_edit"])
def test_a_managers_page_of_a_record_stays_within_its_statements(owner_client, org_a, full_day, page):
    with tenant_context(org=org_a):
        webhook = factories.webhook_endpoint()
    check(page, statements(owner_client, manager_pages(full_day, webhook)[page]))


def test_a_staff_members_calendar_page_stays_within_its_statements(staff_client):
    check("calendars", statements(staff_client, "/calendars/"))


def test_a_patients_page_with_a_clinic_sender_costs_no_more(staff_client, org_a, full_day):
    """The clinic's sender number and the latest opt-out event of the patient's number
    for it come with the patient's read: texts that are on cost no statement."""
    patient = full_day[0].patient
    with tenant_context(org=org_a):
        sender = factories.sms_settings().sender_number
        stopped = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        factories.sms_opt_out(phone=patient.phone, sender_number=sender, opted_out=True, at=stopped)
        factories.sms_opt_out(phone=patient.phone, sender_number=sender, opted_out=False, method="staff", keyword="")
    check("patient", statements(staff_client, staff_pages(full_day)["patient"]))


def test_an_appointments_page_with_its_history_and_requests_costs_no_more(staff_client, org_a, full_day):
    """Moves, status changes and confirmation requests come with the appointment's read."""
    from clinic.appointments.services import appointment_set_status, appointment_update

    visit = full_day[0]
    with tenant_context(org=org_a):
        other = full_day[-1].provider
        moved = appointment_update(
            appointment=visit, changed_by=None, provider=other, starts_at=visit.starts_at + dt.timedelta(days=1)
        )
        appointment_set_status(appointment=moved, status="confirmed", changed_by=None)
        factories.confirmation_request(appointment=moved)
    check("appointment", statements(staff_client, staff_pages(full_day)["appointment"]))


def test_the_booking_form_costs_no_more_when_its_patient_list_is_full(staff_client, org_a, full_day):
    """The matches (here every patient: 132) are counted in the list's own read."""
    with tenant_context(org=org_a):
        for n in range(100):
            factories.patient(first_name="Many", last_name=f"Match {n}")
    check("appointment_new", statements(staff_client, "/appointments/new/"))
    assert "Showing the first 100: search" in staff_client.get("/appointments/new/").content.decode()


def check(page: str, run: list[str]) -> None:
    listing = "\n".join(run)
    assert len(run) <= BUDGET[page], f"{page}: {len(run)} statements\n{listing}"
    proofs = [sql for sql in run if "pg_backend_pid()" in sql]
    settings = [sql for sql in run if "set_config(" in sql]
    if page == "healthz":
        assert proofs == settings == [], listing
    else:
        assert len(proofs) == len(settings) == 1, listing
    # A page view may record its own audit event (that is the audit trail); nothing else.
    writes = [sql for sql in run if sql.startswith(WRITES) and not sql.startswith('INSERT INTO "audit_auditevent"')]
    assert writes == [], listing
    repeated = {sql for sql in run if run.count(sql) > 1 and not sql.startswith(("SAVEPOINT", "RELEASE"))}
    assert repeated == set(), listing


def test_a_removed_member_is_refused_on_the_very_next_request(client, org_a, owner_a, full_day):
    """The membership is still read on every request, with the badge and the two-factor
    rule: a member removed between two pages does not see the second."""
    from tenancy.models import Membership

    user = make_user("rita_removed")
    add_member(org_a, user, Membership.Role.STAFF)
    login(client, user, org=org_a)
    assert client.get("/patients/").status_code == 200
    with tenant_context(org=org_a, user=owner_a):
        Membership.objects.filter(user=user).delete()
    response = client.get("/patients/")
    assert response.status_code == 302
    assert "P0" not in response.content.decode()
