"""Deliveries that lost their job (a worker killed mid-call, a process that died between
the commit and the defer) are found by the minute tick and sent again. The tick learns
only which clinics have such deliveries, through one narrow SECURITY DEFINER function;
the redelivery runs in each clinic's tenant context."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone

from clinic.api.models import WebhookDelivery
from clinic.api.webhooks import tasks
from tenancy.context import tenant_context
from tests.support import factories

pytestmark = pytest.mark.django_db


def delivery_in(org, **fields) -> WebhookDelivery:
    with tenant_context(org=org):
        return factories.webhook_delivery(**fields)


def minutes_ago(minutes: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=minutes)


def overdue_clinics() -> set:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT api_webhook_overdue_clinics(%s)", [minutes_ago(5)])
        return {row[0] for row in cursor.fetchall()}


def test_only_clinics_with_overdue_deliveries_are_named(org_a, org_b):
    late = delivery_in(org_a, next_attempt_at=minutes_ago(10))
    delivery_in(org_b, next_attempt_at=minutes_ago(1))  # its job may simply be busy
    delivery_in(org_b, next_attempt_at=minutes_ago(30), status="succeeded")
    delivery_in(org_b, next_attempt_at=minutes_ago(30), in_flight_until=timezone.now() + dt.timedelta(seconds=20))
    assert overdue_clinics() == {org_a.id}
    with tenant_context(org=org_a):
        assert tasks.overdue_deliveries(timezone.now()) == [late]
    with tenant_context(org=org_b):
        assert tasks.overdue_deliveries(timezone.now()) == []


def test_the_tick_defers_one_job_per_clinic_and_that_job_one_per_delivery(
    org_a, org_b, django_capture_on_commit_callbacks
):
    for _ in range(2):
        delivery_in(org_a, next_attempt_at=minutes_ago(10))
    delivery_in(org_b, next_attempt_at=minutes_ago(10), in_flight_until=minutes_ago(8))  # its worker died
    with django_capture_on_commit_callbacks() as deferred:
        assert tasks.tick.func(timestamp=0) == 2
    assert len(deferred) == 2
    with django_capture_on_commit_callbacks() as deferred:
        assert tasks.redeliver_overdue.func(organization_id=str(org_a.id)) == 2
    assert len(deferred) == 2


def test_the_lookup_leaves_nothing_visible_and_its_policy_is_not_the_runtime_roles(org_a):
    delivery_in(org_a, next_attempt_at=minutes_ago(10))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT api_webhook_overdue_clinics(%s)", [minutes_ago(5)])
        cursor.execute("SELECT count(*) FROM api_webhookdelivery")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT set_config('app.pre_tenant_lookup', 'on', true)")
        cursor.execute("SELECT count(*) FROM api_webhookdelivery")
        assert cursor.fetchone()[0] == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosecdef, proconfig FROM pg_proc WHERE proname = 'api_webhook_overdue_clinics'")
        assert cursor.fetchone() == (
            True,
            ["search_path=pg_catalog, pg_temp", "app.pre_tenant_lookup=on"],
        )
