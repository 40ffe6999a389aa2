"""A suspended clinic on every surface: its staff pages and its admin answer with the
suspended page (403, no clinic data), its API with a JSON 403 naming the state, its
worker sends no confirmation and delivers no event (postponed, not dropped); inbound
texts still count (STOP). Reactivation resumes everything. The other clinic goes on."""

from __future__ import annotations

import pytest
from django.test import Client

from clinic.api.models import WebhookDelivery
from clinic.api.webhooks.tasks import deliver_webhook, redeliver_overdue
from clinic.appointments.models import Patient
from clinic.audit.models import AuditEvent
from clinic.lifecycle.services import clinic_reactivate, clinic_suspend
from clinic.messaging.models import ConfirmationRequest, SmsMessage
from clinic.messaging.tasks import dispatch_clinic, send_message
from tenancy.context import tenant_context
from tests.support.people import login, make_user
from tests.support.sms import book_in, enable_sms, reply
from tests.support.two_factor import force_login_verified
from tests.support.webhooks import Receiver

pytestmark = pytest.mark.django_db
SENDER_A, SENDER_B = "+12025550199", "+12025550177"
PAGES = ["/", "/patients/", "/sms/", "/audit/", "/members/", "/settings/api-keys/", "/calendars/"]


@pytest.fixture
def operator(db):
    return make_user("platform_boss", is_staff=True, is_superuser=True)


def suspend(org, operator):
    return clinic_suspend(organization_id=org.id, changed_by=operator, reason="Invoice 42 unpaid")


def test_staff_pages_show_the_suspended_page_and_no_clinic_data(client, org_a, owner_a, people_a, operator):
    suspend(org_a, operator)
    login(client, owner_a, org_a)
    for path in PAGES:
        response = client.get(path)
        page = response.content.decode()
        assert response.status_code == 403, path
        assert "Clinic A is suspended" in page and "contact" in page
        assert "Jane" not in page and "Doe" not in page
    assert client.post("/patients/new/", {"first_name": "New"}).status_code == 403
    # Signing out and choosing another clinic still work.
    assert client.get("/clinics/").status_code == 200


def test_the_owner_reads_why_and_staff_do_not(client, org_a, owner_a, staff_a, operator):
    suspend(org_a, operator)
    login(client, owner_a, org_a)
    assert "Invoice 42 unpaid" in client.get("/").content.decode()
    client.logout()
    login(client, staff_a, org_a)
    page = client.get("/").content.decode()
    assert "Clinic A is suspended" in page and "Invoice 42 unpaid" not in page


def test_the_admin_of_a_suspended_clinic_shows_the_suspended_page(client, org_a, owner_a, people_a, operator):
    owner_a.is_staff = True
    owner_a.save()
    suspend(org_a, operator)
    force_login_verified(client, owner_a)
    session = client.session
    session["tenancy_active_org"] = str(org_a.id)
    session.save()
    for path in ("/admin/", "/admin/appointments/patient/"):
        response = client.get(path)
        assert response.status_code == 403
        assert "Clinic A is suspended" in response.content.decode()
        assert "Jane" not in response.content.decode()


def test_the_other_clinic_is_untouched(client, org_a, org_b, owner_b, people_b, operator, api_b):
    suspend(org_a, operator)
    login(client, owner_b, org_b)
    assert client.get("/patients/").status_code == 200
    assert api_b.get("patients/").status_code == 200


def test_the_api_answers_403_naming_the_state(org_a, api_a, operator):
    assert api_a.get("patients/").status_code == 200
    suspend(org_a, operator)
    for response in (api_a.get("patients/"), api_a.post("patients/", {"first_name": "X"})):
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "clinic_suspended"
        assert "suspended" in error["message"] and error["fields"] == {}


def test_the_api_through_a_session_answers_the_same(client, org_a, owner_a, operator):
    suspend(org_a, operator)
    login(client, owner_a, org_a)
    response = client.get("/api/v1/patients/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "clinic_suspended"


def test_no_confirmation_goes_out_while_suspended_and_reactivation_sends_it(org_a, people_a, operator, sms_provider):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
        book_in(people_a, hours=1)
    suspend(org_a, operator)
    assert dispatch_clinic(organization_id=str(org_a.id)) is None  # not run (tenant_task asks the rule)
    with tenant_context(org=org_a):
        assert ConfirmationRequest.objects.filter(status="pending").count() == 1
        assert not ConfirmationRequest.objects.filter(status="queued").exists()
        assert not SmsMessage.objects.exists()
    assert sms_provider.sent == []
    clinic_reactivate(organization_id=org_a.id, changed_by=operator, reason="Paid")
    assert dispatch_clinic(organization_id=str(org_a.id)) == 1
    with tenant_context(org=org_a):
        message = SmsMessage.objects.get()
    send_message(organization_id=str(org_a.id), message_id=str(message.pk))
    assert [sms.to for sms in sms_provider.sent] == [people_a.jane.phone]


def test_a_text_queued_before_the_suspension_waits_for_the_reactivation(org_a, people_a, operator, sms_provider):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
        book_in(people_a, hours=1)
    dispatch_clinic(organization_id=str(org_a.id))
    suspend(org_a, operator)
    with tenant_context(org=org_a):
        message = SmsMessage.objects.get()
    send_message(organization_id=str(org_a.id), message_id=str(message.pk))
    with tenant_context(org=org_a):
        assert SmsMessage.objects.get().status == "queued"
    assert sms_provider.sent == []
    clinic_reactivate(organization_id=org_a.id, changed_by=operator, reason="Paid")
    send_message(organization_id=str(org_a.id), message_id=str(message.pk))
    assert len(sms_provider.sent) == 1


def test_stop_still_takes_effect_while_suspended(org_a, people_a, operator, sms_provider):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
    suspend(org_a, operator)
    response = reply(Client(), to=SENDER_A, from_=people_a.jane.phone, body="STOP")
    assert response.status_code == 200
    with tenant_context(org=org_a):
        assert Patient.objects.get(pk=people_a.jane.pk).sms_consent == "opted_out"
        inbound = SmsMessage.objects.filter(direction="in").count()
        answer = SmsMessage.objects.get(direction="out")
    assert inbound == 1
    # The answer to the patient's own STOP still goes out.
    send_message(organization_id=str(org_a.id), message_id=str(answer.pk))
    assert len(sms_provider.sent) == 1
    reply(Client(), to=SENDER_A, from_=people_a.jane.phone, body="START")
    with tenant_context(org=org_a):
        assert Patient.objects.get(pk=people_a.jane.pk).sms_consent == "opted_in"


def test_event_webhooks_wait_while_suspended_and_go_out_after(org_a, people_a, operator):
    from clinic.api.webhooks.services import webhook_endpoint_create

    with Receiver() as receiver:
        with tenant_context(org=org_a):
            webhook_endpoint_create(url=receiver.url)
        suspend(org_a, operator)
        with tenant_context(org=org_a):
            book_in(people_a, hours=30)
            pending = WebhookDelivery.objects.get(status="pending")
        deliver_webhook(organization_id=str(org_a.id), delivery_id=str(pending.pk))
        assert redeliver_overdue(organization_id=str(org_a.id)) is None
        with tenant_context(org=org_a):
            waiting = WebhookDelivery.objects.get(pk=pending.pk)
        assert (waiting.status, waiting.attempts) == ("pending", 0)
        assert receiver.requests == []
        clinic_reactivate(organization_id=org_a.id, changed_by=operator, reason="Paid")
        deliver_webhook(organization_id=str(org_a.id), delivery_id=str(pending.pk))
        assert len(receiver.requests) == 1
    with tenant_context(org=org_a):
        assert WebhookDelivery.objects.get(pk=pending.pk).status == "succeeded"


def test_reactivation_defers_the_postponed_work(org_a, people_a, operator, on_commit):
    with tenant_context(org=org_a):
        enable_sms(SENDER_A)
        book_in(people_a, hours=1)
    suspend(org_a, operator)
    with on_commit() as callbacks:
        clinic_reactivate(organization_id=org_a.id, changed_by=operator, reason="Paid")
    assert callbacks  # the dispatch job, deferred once the reactivation commits


def test_each_change_is_in_the_clinics_audit_trail(org_a, org_b, operator):
    suspend(org_a, operator)
    clinic_reactivate(organization_id=org_a.id, changed_by=operator, reason="Paid")
    with tenant_context(org=org_a):
        events = list(AuditEvent.objects.order_by("at").values_list("action", "actor_label"))
    assert events[-2:] == [("clinic_suspended", "platform_boss"), ("clinic_reactivated", "platform_boss")]
    with tenant_context(org=org_b):
        assert not AuditEvent.objects.filter(action__startswith="clinic_").exists()
