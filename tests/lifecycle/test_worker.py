"""The real worker and a suspended clinic: no confirmation goes out while it is
suspended (the other clinic's does), and the reactivation sends the postponed one."""

from __future__ import annotations

import json

import pytest

from tests.support.worker_harness import own_database, run_workers, shell, sql

pytestmark = pytest.mark.worker

CHANGE = (
    "from django.contrib.auth import get_user_model; from clinic.lifecycle import services\n"
    "boss = get_user_model().objects.create_user(username='boss-{tag}', email='boss-{tag}@example.test')\n"
    "services.clinic_{change}(organization_id='{org}', changed_by=boss, reason='{reason}')\n"
)


@pytest.fixture
def worker_db():
    with own_database("test_clinic_lifecycle_worker", SMS_BACKEND="console") as env:
        yield env


def texts_to(output: str, phone: str) -> int:
    return sum(1 for line in output.splitlines() if line.startswith("[SMS ") and f"-> {phone}]" in line)


def test_a_suspended_clinic_sends_nothing_until_reactivated(worker_db):
    out = shell(worker_db, "from tests.support.sms_worker_seed import seed; seed(1)")
    clinic_a, clinic_b = json.loads(out.strip().splitlines()[-1])
    shell(worker_db, CHANGE.format(tag="1", change="suspend", org=clinic_a["org"], reason="Unpaid"))
    shell(worker_db, "from clinic.messaging.tasks import tick; tick.defer(timestamp=0)")
    output = run_workers(worker_db)
    assert texts_to(output, clinic_a["phones"][0]) == 0
    assert texts_to(output, clinic_b["phones"][0]) == 1
    pending = "SELECT status FROM messaging_confirmationrequest WHERE organization_id = '{}' AND status <> 'skipped'"
    assert sql(worker_db, pending.format(clinic_a["org"])) == [["pending"]]
    shell(worker_db, CHANGE.format(tag="2", change="reactivate", org=clinic_a["org"], reason="Paid"))
    output = run_workers(worker_db)
    assert texts_to(output, clinic_a["phones"][0]) == 1
    assert texts_to(output, clinic_b["phones"][0]) == 0
    assert sql(worker_db, pending.format(clinic_a["org"])) == [["queued"]]
