"""Exactly once: a request is claimed in the database before the provider is
called; retries and racing callers never text twice; transient failures retry,
permanent ones fail into the inbox; a send lost mid-call is settled against the
provider's own record: recorded if it went, sent if it did not, never twice."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from clinic.messaging import delivery
from clinic.messaging.backends import ConsoleBackend, OutgoingSms, SmsSendError
from clinic.messaging.models import ConfirmationRequest, SmsMessage
from tenancy.context import tenant_context
from tenancy.jobs import JobWithoutTenant, organization_id_of
from tests.support.sms import book_in, enable_sms, step_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def due(org_a, people_a):
    """Clinic A with texts on and a request due now."""
    with tenant_context(org=org_a):
        enable_sms("+12025550199")
        appointment = book_in(people_a, hours=1)
        return ConfirmationRequest.objects.get(appointment=appointment, status="pending")


def test_a_due_request_is_sent_once_with_the_minimum_in_it(org_a, due, people_a, sms_provider):
    with tenant_context(org=org_a):
        message = delivery.queue_confirmation(due.id)
    delivery.deliver(message.id, step_for(org_a))
    (sms,) = sms_provider.sent
    assert sms.to == people_a.jane.phone and sms.from_ == "+12025550199"
    assert "Jane" in sms.body and "Clinic A" in sms.body and "/c/" in sms.body
    # Nothing clinical: no surname, no provider, no appointment type.
    for secret in ("Doe", "Lovelace", "Check-up"):
        assert secret not in sms.body
    with tenant_context(org=org_a):
        message.refresh_from_db()
        assert message.status == "sent" and message.provider_message_id.startswith("SM")


def test_claiming_twice_gives_the_same_message_and_delivering_twice_sends_once(org_a, due, sms_provider):
    with tenant_context(org=org_a):
        first = delivery.queue_confirmation(due.id)
        again = delivery.queue_confirmation(due.id)
    assert first.id == again.id
    delivery.deliver(first.id, step_for(org_a))
    delivery.deliver(first.id, step_for(org_a))
    assert len(sms_provider.sent) == 1
    with tenant_context(org=org_a):
        assert SmsMessage.objects.filter(kind="confirmation").count() == 1


def test_a_transient_failure_retries_and_then_sends(org_a, due, sms_provider):
    sms_provider.failures.append(SmsSendError("timeout", retryable=True, code="network"))
    with tenant_context(org=org_a):
        message = delivery.queue_confirmation(due.id)
    with pytest.raises(delivery.RetryLater):
        delivery.deliver(message.id, step_for(org_a))
    with tenant_context(org=org_a):
        message.refresh_from_db()
        assert message.status == "queued" and message.attempts == 1
    delivery.deliver(message.id, step_for(org_a))
    assert len(sms_provider.sent) == 1


def test_a_permanent_failure_marks_the_message_failed_in_the_inbox(org_a, due, sms_provider):
    sms_provider.failures.append(SmsSendError("not a mobile number", retryable=False, code="21614"))
    with tenant_context(org=org_a):
        message = delivery.queue_confirmation(due.id)
    delivery.deliver(message.id, step_for(org_a))
    with tenant_context(org=org_a):
        message.refresh_from_db()
        assert (message.status, message.error_code, message.needs_attention) == ("failed", "21614", True)
    assert sms_provider.sent == []


def test_retries_stop_after_the_last_attempt(org_a, due, sms_provider):
    sms_provider.failures.extend(SmsSendError("busy", retryable=True, code="503") for _ in range(delivery.MAX_ATTEMPTS))
    with tenant_context(org=org_a):
        message = delivery.queue_confirmation(due.id)
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        with pytest.raises(delivery.RetryLater):
            delivery.deliver(message.id, step_for(org_a))
    delivery.deliver(message.id, step_for(org_a))
    with tenant_context(org=org_a):
        message.refresh_from_db()
        assert message.status == "failed" and message.attempts == delivery.MAX_ATTEMPTS


@pytest.fixture
def console_record(settings, tmp_path):
    """The console provider, keeping its own record of what it accepted."""
    settings.SMS_BACKEND = "console"
    settings.SMS_CONSOLE_RECORD = str(tmp_path / "provider.jsonl")
    return tmp_path / "provider.jsonl"


def provider_ids(record) -> list[str]:
    return [json.loads(line)["id"] for line in record.read_text().splitlines()] if record.exists() else []


def lose_mid_call(org, message, *, handed_over: bool, minutes_ago: float = 30) -> None:
    """What a worker killed during the provider call leaves: `sending`, and the text
    in the provider's record or not."""
    with tenant_context(org=org):
        SmsMessage.objects.filter(pk=message.pk).update(
            status="sending", attempts=1, status_changed_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
        )
    if handed_over:
        ConsoleBackend().send(OutgoingSms(to=message.to_number, from_=message.from_number, body=message.body))


def test_a_lost_send_the_provider_took_is_recorded_as_sent_not_repeated(org_a, due, console_record):
    with tenant_context(org=org_a):
        message = delivery.queue_confirmation(due.id)
    lose_mid_call(org_a, message, handed_over=True)
    delivery.deliver(message.id, step_for(org_a))
    (provider_id,) = provider_ids(console_record)
    with tenant_context(org=org_a):
        message.refresh_from_db()
        assert (message.status, message.provider_message_id) == ("sent", provider_id)
    delivery.deliver(message.id, step_for(org_a))
    assert provider_ids(console_record) == [provider_id]


def test_a_lost_send_the_provider_never_got_is_sent_once(org_a, due, console_record):
    with tenant_context(org=org_a):
        message = delivery.queue_confirmation(due.id)
    lose_mid_call(org_a, message, handed_over=False)
    delivery.deliver(message.id, step_for(org_a))
    delivery.deliver(message.id, step_for(org_a))
    (provider_id,) = provider_ids(console_record)
    with tenant_context(org=org_a):
        message.refresh_from_db()
        assert (message.status, message.provider_message_id, message.attempts) == ("sent", provider_id, 2)


def test_a_send_still_within_a_provider_call_is_left_alone(org_a, due, console_record):
    with tenant_context(org=org_a):
        message = delivery.queue_confirmation(due.id)
    lose_mid_call(org_a, message, handed_over=False, minutes_ago=1)
    delivery.deliver(message.id, step_for(org_a))
    assert provider_ids(console_record) == []
    with tenant_context(org=org_a):
        assert SmsMessage.objects.get(pk=message.pk).status == "sending"


def test_a_lost_send_with_no_record_to_ask_is_failed_not_repeated(org_a, due, console_record, settings):
    settings.SMS_CONSOLE_RECORD = ""
    with tenant_context(org=org_a):
        message = delivery.queue_confirmation(due.id)
    lose_mid_call(org_a, message, handed_over=False)
    delivery.deliver(message.id, step_for(org_a))
    with tenant_context(org=org_a):
        message.refresh_from_db()
        assert (message.status, message.error_code, message.needs_attention) == ("failed", "unknown", True)
    assert provider_ids(console_record) == []


class ProviderDown(ConsoleBackend):
    def find_sent(self, sms, since):
        raise SmsSendError("connection refused", retryable=True, code="network")


def test_a_lost_send_stays_sending_while_the_provider_cannot_be_asked(org_a, due, console_record, settings):
    with tenant_context(org=org_a):
        message = delivery.queue_confirmation(due.id)
    lose_mid_call(org_a, message, handed_over=False)
    settings.SMS_BACKEND = f"{__name__}.ProviderDown"
    delivery.deliver(message.id, step_for(org_a))
    with tenant_context(org=org_a):
        message.refresh_from_db()
        assert message.status == "sending" and message.status_changed_at > timezone.now() - dt.timedelta(minutes=1)
    assert provider_ids(console_record) == []


class TakesItThenTimesOut(ConsoleBackend):
    """The request reaches the provider, the answer never comes back."""

    def send(self, sms):
        super().send(sms)
        raise SmsSendError("read timed out", retryable=True, code="network")


def test_a_retry_after_a_timeout_the_provider_took_does_not_text_twice(org_a, due, console_record, settings):
    settings.SMS_BACKEND = f"{__name__}.TakesItThenTimesOut"
    with tenant_context(org=org_a):
        message = delivery.queue_confirmation(due.id)
    with pytest.raises(delivery.RetryLater):
        delivery.deliver(message.id, step_for(org_a))
    settings.SMS_BACKEND = "console"
    delivery.deliver(message.id, step_for(org_a))
    (provider_id,) = provider_ids(console_record)
    with tenant_context(org=org_a):
        message.refresh_from_db()
        assert (message.status, message.provider_message_id) == ("sent", provider_id)


def test_the_same_words_to_the_same_number_are_told_apart_by_the_ids_already_held(org_a, due, people_a, console_record):
    """Two identical automatic replies, the first sent and recorded, the second lost
    before the provider got it: the first's id is not taken for the second."""
    with tenant_context(org=org_a):
        first, second = (
            SmsMessage.objects.create(
                direction="out",
                kind="reply",
                from_number="+12025550199",
                to_number=people_a.jane.phone,
                body="You will get no more texts from us.",
                patient=people_a.jane,
                status="queued",
            )
            for _ in range(2)
        )
    delivery.deliver(first.id, step_for(org_a))
    lose_mid_call(org_a, second, handed_over=False)
    delivery.deliver(second.id, step_for(org_a))
    assert len(provider_ids(console_record)) == 2
    with tenant_context(org=org_a):
        ids = set(
            SmsMessage.objects.filter(pk__in=[first.pk, second.pk], status="sent").values_list(
                "provider_message_id", flat=True
            )
        )
    assert ids == set(provider_ids(console_record))


def test_the_clinic_dispatch_hands_lost_sends_back_to_a_send_job(org_a, due, console_record, on_commit):
    from procrastinate.contrib.django import app
    from procrastinate.testing import InMemoryConnector

    from clinic.messaging.tasks import dispatch_clinic

    with tenant_context(org=org_a):
        message = delivery.queue_confirmation(due.id)
    lose_mid_call(org_a, message, handed_over=True)
    connector = InMemoryConnector()
    with app.replace_connector(connector), on_commit(execute=True):
        dispatch_clinic(organization_id=str(org_a.id))
    jobs = [(job["task_name"], job["args"]["message_id"]) for job in connector.jobs.values()]
    assert jobs == [("clinic.messaging.tasks.send_message", str(message.id))]


@pytest.mark.parametrize("change", ["cancelled", "moved", "started"])
def test_nothing_is_sent_for_a_cancelled_moved_or_past_appointment(org_a, due, change, sms_provider):
    from clinic.appointments.models import Appointment

    with tenant_context(org=org_a):
        if change == "cancelled":
            Appointment.objects.filter(pk=due.appointment_id).update(status="cancelled")
        elif change == "moved":
            Appointment.objects.filter(pk=due.appointment_id).update(
                starts_at=due.appointment_starts_at + dt.timedelta(hours=1),
                ends_at=due.appointment_starts_at + dt.timedelta(hours=2),
            )
        else:
            Appointment.objects.filter(pk=due.appointment_id).update(starts_at=timezone.now() - dt.timedelta(minutes=1))
        assert delivery.queue_confirmation(due.id) is None
        due.refresh_from_db()
        assert due.status == "skipped"


def test_a_job_without_a_clinic_is_refused():
    with pytest.raises(JobWithoutTenant):
        organization_id_of({"message_id": "x"})
    with pytest.raises(JobWithoutTenant):
        organization_id_of({"organization_id": "not-a-uuid"})


def test_a_job_naming_a_never_reads_b(org_a, org_b, people_b):
    from clinic.messaging.tasks import dispatch_clinic

    with tenant_context(org=org_b):
        enable_sms("+12025550177")
        book_in(people_b, hours=1)
    # The task body as the worker runs it, for clinic A: B's due request is invisible.
    assert dispatch_clinic.func(organization_id=str(org_a.id)) == 0
    assert dispatch_clinic.func(organization_id=str(org_b.id)) == 1


def test_a_tenant_task_refuses_to_run_without_a_clinic():
    from clinic.messaging.tasks import dispatch_clinic

    with pytest.raises(JobWithoutTenant):
        dispatch_clinic.func(organization_id="")


def test_a_patient_who_opts_out_after_the_claim_is_not_texted(org_a, due, people_a, sms_provider):
    from clinic.appointments.services import patient_set_sms_consent

    with tenant_context(org=org_a):
        message = delivery.queue_confirmation(due.id)
        patient_set_sms_consent(patient=people_a.jane, opted_in=False)
    delivery.deliver(message.id, step_for(org_a))
    assert sms_provider.sent == []
    with tenant_context(org=org_a):
        message.refresh_from_db()
        assert (message.status, message.error_code) == ("failed", "opted_out")
