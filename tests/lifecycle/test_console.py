"""The platform console (/admin/platform/clinics/): superusers only (anyone else: 404),
metadata only, read through platform_clinic_overview(); never a patient's name. Its
actions ask for a reason, go through the lifecycle services and are recorded in that
clinic's audit trail, where its owner reads them."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection

from clinic.audit.models import AuditEvent
from tenancy.context import tenant_context
from tenancy.models import Invitation, Organization
from tests.support.people import login, make_user
from tests.support.sms import book_in
from tests.support.two_factor import force_login_verified

pytestmark = pytest.mark.django_db
CONSOLE = "/admin/platform/clinics/"


@pytest.fixture
def boss(client):
    user = make_user("platform_boss", is_staff=True, is_superuser=True)
    force_login_verified(client, user)
    return user


@pytest.fixture
def clinics(org_a, org_b, people_a, people_b):
    with tenant_context(org=org_a):
        book_in(people_a, hours=3)
    return org_a, org_b


PATIENT_NAMES = ("Jane", "John", "Doe", "Roe", "OtherJane", "OtherJohn")


def assert_no_patient(page: str) -> None:
    # The time zone suggestions name places ("America/St_Johns"), never a patient.
    page = re.sub(r"<datalist .*?</datalist>", "", page, flags=re.S)
    # Random tokens (the CSRF token) can spell "Roe"; a name is a whole word.
    page = re.sub(r'value="[A-Za-z0-9_-]{32,}"', "", page)
    for name in PATIENT_NAMES:
        assert not re.search(rf"\b{name}\b", page), name


def status_of(org) -> str:
    with tenant_context(org=org):
        return Organization.objects.get(pk=org.pk).status


def test_the_superuser_sees_every_clinics_metadata_and_no_patient(client, boss, clinics):
    response = client.get(CONSOLE)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Clinic A" in page and "Clinic B" in page and "clinic-a" in page
    assert "Active" in page
    assert_no_patient(page)
    detail = client.get(f"{CONSOLE}clinic-a/")
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "<th>Patients</th><td>2</td>" in text.replace("\n", "").replace("    ", "")
    assert "<th>Appointments</th><td>1</td>" in text.replace("\n", "").replace("    ", "")
    assert_no_patient(text)
    assert_no_patient(client.get(f"{CONSOLE}new/").content.decode())


def test_the_overview_function_returns_exactly_the_metadata_columns(clinics):
    # It answers only a proven superuser (tests/tenancy/test_injection_roles.py), as the console
    # calls it: in the signed-in superuser's own context.
    root = make_user("platform_root", is_superuser=True)
    with tenant_context(user=root), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM platform_clinic_overview()")
        columns = [column.name for column in cursor.description]
        rows = cursor.fetchall()
    assert columns == [
        "name",
        "slug",
        "status",
        "created_at",
        "members",
        "patients",
        "appointments",
        "messages",
        "last_activity",
    ]
    assert [(row[0], row[4], row[5], row[6]) for row in rows] == [("Clinic A", 1, 2, 1), ("Clinic B", 1, 2, 0)]


@pytest.mark.parametrize("path", ["", "clinic-a/", "new/"])
def test_anyone_but_a_superuser_gets_404(client, clinics, owner_a, path):
    assert client.get(CONSOLE + path).status_code == 404
    owner_a.is_staff = True
    owner_a.save()
    force_login_verified(client, owner_a)
    assert client.get(CONSOLE + path).status_code == 404
    assert client.post(f"{CONSOLE}clinic-a/suspend/", {"reason": "x"}).status_code == 404
    assert status_of(clinics[0]) == "active"


def test_a_superuser_without_the_second_factor_is_sent_to_it(client, clinics):
    user = make_user("platform_boss", is_staff=True, is_superuser=True)
    client.force_login(user)
    response = client.get(CONSOLE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_suspend_reactivate_and_close_ask_for_a_reason_and_are_audited(client, boss, clinics):
    org_a, org_b = clinics
    response = client.post(f"{CONSOLE}clinic-a/suspend/", {"reason": "  "})
    assert response.status_code == 400 and status_of(org_a) == "active"
    assert client.post(f"{CONSOLE}clinic-a/suspend/", {"reason": "Unpaid"}).status_code == 302
    assert status_of(org_a) == "suspended"
    assert client.post(f"{CONSOLE}clinic-a/suspend/", {"reason": "Again"}).status_code == 400
    assert client.post(f"{CONSOLE}clinic-a/reactivate/", {"reason": "Paid"}).status_code == 302
    assert client.post(f"{CONSOLE}clinic-a/close/", {"reason": "Asked to"}).status_code == 302
    assert status_of(org_a) == "closed" and status_of(org_b) == "active"
    assert client.post(f"{CONSOLE}clinic-a/explode/", {"reason": "x"}).status_code == 404
    assert client.post(f"{CONSOLE}no-such-clinic/suspend/", {"reason": "x"}).status_code == 404
    with tenant_context(org=org_a):
        events = list(AuditEvent.objects.filter(action__startswith="clinic_").order_by("at"))
        assert Organization.objects.get(pk=org_a.pk).status_reason == "Asked to"
    assert [e.action for e in events] == ["clinic_suspended", "clinic_reactivated", "clinic_closed"]
    assert {e.actor_label for e in events} == {"platform_boss"}


def test_the_owner_reads_the_change_on_the_audit_page(client, boss, clinics, owner_a):
    client.post(f"{CONSOLE}clinic-a/suspend/", {"reason": "Unpaid"})
    client.post(f"{CONSOLE}clinic-a/reactivate/", {"reason": "Paid"})
    client.logout()
    login(client, owner_a, clinics[0])
    page = client.get("/audit/").content.decode()
    assert "Clinic suspended" in page and "Clinic reactivated" in page and "platform_boss" in page


def test_a_new_clinic_gets_an_owner_invitation(client, boss, clinics, on_commit):
    data = {
        "name": "Clinic C",
        "slug": "clinic-c",
        "timezone": "Europe/Paris",
        "owner_email": "Carla@Example.test",
        "status": "trial",
        "reason": "Signed the contract",
    }
    assert client.post(f"{CONSOLE}new/", {**data, "slug": "clinic-a"}).status_code == 400
    assert client.post(f"{CONSOLE}new/", {**data, "reason": ""}).status_code == 400
    with on_commit(execute=True):
        response = client.post(f"{CONSOLE}new/", data)
    assert response.status_code == 302 and response["Location"] == f"{CONSOLE}clinic-c/"
    (message,) = mail.outbox
    assert message.to == ["carla@example.test"] and "Clinic C" in message.body
    with connection.cursor() as cursor:
        cursor.execute("SELECT tenancy_organization_id_for_slug('clinic-c')")
        org_id = cursor.fetchone()[0]
    with tenant_context(org=org_id):
        invitation = Invitation.objects.get()
        assert (invitation.email, invitation.role) == ("carla@example.test", "owner")
        assert Organization.objects.get(pk=org_id).status == "trial"
        assert list(AuditEvent.objects.values_list("action", flat=True)) == ["clinic_created"]


def test_the_invited_owner_joins_the_new_clinic(client, boss, on_commit):
    from tenancy.services import invitation_accept

    with on_commit(execute=True):
        client.post(
            f"{CONSOLE}new/",
            {
                "name": "Clinic C",
                "slug": "clinic-c",
                "timezone": "UTC",
                "owner_email": "carla@example.test",
                "status": "active",
                "reason": "New customer",
            },
        )
    token = mail.outbox[0].body.split("/invitations/")[1].split("/")[0]
    carla = make_user("carla")
    membership = invitation_accept(token=token, user=carla)
    assert membership.role == "owner"


def test_a_second_invitation_to_a_clinic_with_members_is_refused_by_the_database(org_a, outsider):
    """The first-owner exception holds only while the clinic has no member."""
    from django.db import ProgrammingError, transaction
    from django.utils import timezone

    with pytest.raises(ProgrammingError), transaction.atomic(), tenant_context(org=org_a, user=outsider):
        Invitation.objects.create(email="x@example.test", role="owner", token_hash="0" * 64, expires_at=timezone.now())


def test_the_admin_index_links_superusers_to_the_console(client, boss, org_a, owner_a):
    assert CONSOLE in client.get("/admin/").content.decode()
    owner_a.is_staff = True
    owner_a.save()
    force_login_verified(client, owner_a)
    session = client.session
    session["tenancy_active_org"] = str(org_a.id)
    session.save()
    page = client.get("/admin/")
    assert page.status_code == 200 and CONSOLE not in page.content.decode()
