"""Retention of texts and webhook data (`manage.py messaging_prune`, as the owner role):
old webhook events and deliveries are deleted and recent ones kept; a text older than
its clinic's period keeps its log entry with the body blanked; unmatched inbound texts
are deleted; each clinic's own period applies; each clinic's audit trail records what
was removed; --dry-run changes nothing; the command refuses to run without the owner
role. The clinic chooses its period on the SMS settings page, within the audit trail's.

The prune works on the owner's connection, which cannot see the test's uncommitted
rows on the runtime one: its data is written on the owner's connection, in each
clinic's tenant context (the clinic foreign keys are deferred), and removed after."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from clinic.api.models import EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent
from clinic.api.webhooks import signing
from clinic.audit.management.commands.audit_prune import prune as audit_prune
from clinic.audit.models import AuditEvent
from clinic.messaging.models import SmsMessage, SmsSettings
from clinic.messaging.retention import prune_all
from tenancy.context import tenant_context
from tenancy.database import OWNER_ALIAS
from tests.support.people import login

pytestmark = pytest.mark.django_db(databases=["default", "owner"])

OWNER = "owner"
NOW = timezone.now()


def as_owner(org):
    return tenant_context(org=org, using=OWNER)


@pytest.fixture(autouse=True)
def _remove_the_owners_rows(org_a, org_b):
    """Their clinics exist only in the runtime connection's uncommitted transaction:
    the deferred foreign keys would fail the test's final constraint check."""
    yield
    for org in (org_a, org_b):
        with as_owner(org):
            for model in (WebhookDelivery, WebhookEvent, WebhookEndpoint, SmsMessage, SmsSettings):
                model.objects.using(OWNER).all().delete()
    audit_prune(timezone.now() + dt.timedelta(days=1))


def keep_texts_for(org, days: int) -> None:
    with as_owner(org):
        row = SmsSettings(text_retention_days=days)
        row.claim_for_current_org()
        row.save(using=OWNER, force_insert=True)


def text(org, *, days_old: int, direction: str = "out", patient_id=None, status: str = "delivered") -> SmsMessage:
    with as_owner(org):
        inbound = direction == SmsMessage.Direction.INBOUND
        message = SmsMessage(
            direction=direction,
            kind=SmsMessage.Kind.INBOUND if inbound else SmsMessage.Kind.CONFIRMATION,
            from_number="+12025550111" if inbound else "+12025550100",
            to_number="+12025550100" if inbound else "+12025550111",
            body=f"A text {days_old} days old",
            patient_id=patient_id,
            status=SmsMessage.Status.RECEIVED if inbound else status,
        )
        message.claim_for_current_org()
        message.save(using=OWNER, force_insert=True)
        # created_at is set on insert (auto_now_add): backdate it as time would.
        SmsMessage.objects.using(OWNER).filter(pk=message.pk).update(created_at=NOW - dt.timedelta(days=days_old))
    return message


def endpoint(org, **fields) -> WebhookEndpoint:
    with as_owner(org):
        row = WebhookEndpoint(url="https://hooks.example.org/x", event_types=["appointment.created"], **fields)
        row.secret = row.secret or signing.new_secret()
        row.claim_for_current_org()
        row.save(using=OWNER, force_insert=True)
    return row


def delivered_event(org, hook: WebhookEndpoint, *, days_old: int) -> tuple[WebhookEvent, WebhookDelivery]:
    made = NOW - dt.timedelta(days=days_old)
    with as_owner(org):
        event = WebhookEvent(type=EventType.APPOINTMENT_CREATED, payload="{}", created_at=made)
        event.claim_for_current_org()
        event.save(using=OWNER, force_insert=True)
        delivery = WebhookDelivery(event=event, endpoint=hook, status="succeeded", created_at=made)
        delivery.claim_for_current_org()
        delivery.save(using=OWNER, force_insert=True)
    return event, delivery


def ids(org, model) -> set:
    with as_owner(org):
        return set(model.objects.using(OWNER).values_list("id", flat=True))


def body_of(org, message: SmsMessage) -> str:
    with as_owner(org):
        return SmsMessage.objects.using(OWNER).get(pk=message.pk).body


def prune_events(org) -> list[AuditEvent]:
    with as_owner(org):
        return list(AuditEvent.objects.using(OWNER).filter(action=AuditEvent.Action.RETENTION_PRUNED))


def test_it_deletes_old_webhook_events_and_deliveries_and_keeps_recent_ones(org_a):
    hook = endpoint(org_a)
    old_event, old_delivery = delivered_event(org_a, hook, days_old=91)
    new_event, new_delivery = delivered_event(org_a, hook, days_old=89)
    prune_all(NOW, using=OWNER_ALIAS)
    assert ids(org_a, WebhookEvent) == {new_event.id}
    assert ids(org_a, WebhookDelivery) == {new_delivery.id}
    assert ids(org_a, WebhookEndpoint) == {hook.id}


def test_the_webhook_period_is_a_setting(org_a, settings):
    settings.WEBHOOK_RETENTION_DAYS = 10
    hook = endpoint(org_a)
    _, old = delivered_event(org_a, hook, days_old=11)
    _, kept = delivered_event(org_a, hook, days_old=9)
    prune_all(NOW, using=OWNER_ALIAS)
    assert ids(org_a, WebhookDelivery) == {kept.id}


def test_it_blanks_old_texts_bodies_keeping_the_log_entry(org_a, people_a):
    keep_texts_for(org_a, 60)
    patient_id = people_a.jane.id
    old = text(org_a, days_old=61, patient_id=patient_id)
    recent = text(org_a, days_old=59, patient_id=patient_id)
    old_reply = text(org_a, days_old=61, direction="in", patient_id=patient_id)
    still_queued = text(org_a, days_old=61, status=SmsMessage.Status.QUEUED)
    prune_all(NOW, using=OWNER_ALIAS)
    assert ids(org_a, SmsMessage) == {old.id, recent.id, old_reply.id, still_queued.id}
    assert body_of(org_a, old) == "" and body_of(org_a, old_reply) == ""
    assert body_of(org_a, recent) == "A text 59 days old"
    assert body_of(org_a, still_queued) == "A text 61 days old"  # its words are still to be sent
    with as_owner(org_a):
        kept = SmsMessage.objects.using(OWNER).get(pk=old.pk)
    assert (kept.status, kept.patient_id, kept.direction) == ("delivered", patient_id, "out")
    assert kept.created_at == NOW - dt.timedelta(days=61)


def test_it_deletes_old_unmatched_inbound_texts(org_a):
    keep_texts_for(org_a, 60)
    old = text(org_a, days_old=61, direction="in")
    recent = text(org_a, days_old=30, direction="in")
    prune_all(NOW, using=OWNER_ALIAS)
    assert ids(org_a, SmsMessage) == {recent.id}
    assert old.id not in ids(org_a, SmsMessage)
    assert body_of(org_a, recent) == "A text 30 days old"


def test_each_clinic_keeps_texts_for_its_own_period(org_a, org_b):
    keep_texts_for(org_a, 60)  # clinic B keeps the default, 365 days
    a_100, b_100, b_400 = text(org_a, days_old=100), text(org_b, days_old=100), text(org_b, days_old=400)
    prune_all(NOW, using=OWNER_ALIAS)
    assert body_of(org_a, a_100) == ""
    assert body_of(org_b, b_100) == "A text 100 days old"
    assert body_of(org_b, b_400) == ""


def test_each_clinic_records_what_was_removed_in_its_audit_trail(org_a, org_b):
    keep_texts_for(org_a, 60)
    text(org_a, days_old=61)
    text(org_a, days_old=61, direction="in")
    hook = endpoint(org_a)
    delivered_event(org_a, hook, days_old=100)
    untouched = text(org_b, days_old=100)
    prune_all(NOW, using=OWNER_ALIAS)
    (event,) = prune_events(org_a)
    assert event.actor_type == AuditEvent.Actor.SYSTEM
    assert event.changed_fields == sorted(
        [
            "sms_bodies_blanked=1",
            "unmatched_texts_deleted=1",
            "webhook_deliveries_deleted=1",
            "webhook_events_deleted=1",
        ]
    )
    assert prune_events(org_b) == [] and body_of(org_b, untouched) != ""
    prune_all(NOW, using=OWNER_ALIAS)  # nothing left to remove: nothing more recorded
    assert len(prune_events(org_a)) == 1


def test_it_clears_replaced_secrets_whose_window_is_over(org_a):
    over = endpoint(org_a, previous_secret=signing.new_secret(), previous_secret_expires_at=NOW - dt.timedelta(hours=1))
    running = endpoint(
        org_a, previous_secret=signing.new_secret(), previous_secret_expires_at=NOW + dt.timedelta(hours=1)
    )
    prune_all(NOW, using=OWNER_ALIAS)
    with as_owner(org_a):
        rows = {row.pk: row for row in WebhookEndpoint.objects.using(OWNER).all()}
    assert (rows[over.pk].previous_secret, rows[over.pk].previous_secret_expires_at) == ("", None)
    assert rows[running.pk].previous_secret == running.previous_secret
    (event,) = prune_events(org_a)
    assert event.changed_fields == ["webhook_secrets_cleared=1"]


def test_a_dry_run_changes_nothing(org_a, capsys):
    keep_texts_for(org_a, 60)
    old_text, unmatched = text(org_a, days_old=61), text(org_a, days_old=61, direction="in")
    hook = endpoint(org_a)
    event, delivery = delivered_event(org_a, hook, days_old=100)
    call_command("messaging_prune", "--dry-run")
    out = capsys.readouterr().out
    assert "Would remove in 1 clinic(s)" in out and "sms bodies blanked: 1" in out
    assert body_of(org_a, old_text) != ""
    assert ids(org_a, SmsMessage) == {old_text.id, unmatched.id}
    assert ids(org_a, WebhookEvent) == {event.id} and ids(org_a, WebhookDelivery) == {delivery.id}
    assert prune_events(org_a) == []
    call_command("messaging_prune")
    assert "Removed in 1 clinic(s)" in capsys.readouterr().out
    assert ids(org_a, WebhookEvent) == set() and body_of(org_a, old_text) == ""


REFUSED_WITHOUT_THE_OWNER = """
import django
django.setup()
from django.core.management import call_command
from django.core.management.base import CommandError
try:
    call_command("messaging_prune")
except CommandError as exc:
    print("refused:", exc)
"""


def test_the_command_refuses_to_run_as_the_runtime_role():
    """A process that is not `manage.py messaging_prune` holds the runtime role's
    credentials only (PRIVILEGED_COMMANDS): the command stops before touching anything."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/nowhere",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", REFUSED_WITHOUT_THE_OWNER],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "refused: messaging_prune runs as the owner role" in result.stdout, result.stderr
    assert "messaging_prune" in django_settings.PRIVILEGED_COMMANDS


# --- The clinic's choice on the SMS settings page --------------------------------


def form_data(**overrides) -> dict:
    data = {
        "sender_number": "+1 202 555 0142",
        "lead_hours": "48, 2",
        "send_from": "08:00",
        "send_until": "20:30",
        "template": "Hi {first_name}, {clinic} on {date} at {time}: {link}",
    }
    return {**data, **overrides}


def test_an_owner_chooses_the_text_period(client, org_a, owner_a):
    login(client, owner_a, org=org_a)
    response = client.post("/sms/settings/", form_data(text_retention_days="90"))
    assert response.status_code == 302
    with tenant_context(org=org_a):
        assert SmsSettings.objects.get().text_retention_days == 90


def test_the_text_period_cannot_outlast_the_audit_trail(client, org_a, owner_a, settings):
    settings.AUDIT_RETENTION_DAYS = 400
    login(client, owner_a, org=org_a)
    response = client.post("/sms/settings/", form_data(text_retention_days="401"))
    assert response.context["form"].errors["text_retention_days"] == [
        "Texts may be kept at most 400 days, as long as the audit trail that records them."
    ]
    too_short = client.post("/sms/settings/", form_data(text_retention_days="5"))
    assert "text_retention_days" in too_short.context["form"].errors
    with tenant_context(org=org_a):
        assert not SmsSettings.objects.exists()
