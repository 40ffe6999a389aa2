"""The real worker and the opt-out list: a confirmation queued before the number
opted out is not handed to the provider, while the same number at another clinic is
texted (its list is that clinic's own)."""

from __future__ import annotations

import json

import pytest

from tests.support.worker_harness import own_database, run_workers, shell, sql

pytestmark = pytest.mark.worker

# Claim each clinic's due request (its message is `queued`), then opt the number out
# at clinic A only, through the list alone (an imported opt-out: the patient's own
# consent stands), and defer the send jobs.
QUEUE_THEN_OPT_OUT = """
import json
from django.db import transaction
from clinic.messaging import delivery, tasks
from clinic.messaging.models import ConfirmationRequest
from clinic.messaging.services import sms_number_set_opt_out
from tenancy.context import tenant_context
clinics = json.loads({clinics!r})
for index, clinic in enumerate(clinics):
    with tenant_context(org=clinic["org"]):
        for request_id in clinic["requests"]:
            message = delivery.queue_confirmation(request_id)
            if message is not None:
                if index == 0:
                    sms_number_set_opt_out(
                        phone=message.to_number, opted_out=True, method="import", reason="Old provider's list"
                    )
                tasks.defer_delivery(message)
"""


@pytest.fixture
def worker_db():
    with own_database("test_clinic_optout_worker", SMS_BACKEND="console") as env:
        yield env


def test_a_queued_confirmation_to_an_opted_out_number_is_not_sent(worker_db):
    out = shell(worker_db, "from tests.support.sms_worker_seed import seed; seed(1)")
    clinic_a, clinic_b = json.loads(out.strip().splitlines()[-1])
    # Both clinics text the same number: B's patient takes A's patient's phone.
    shell(
        worker_db,
        "from clinic.appointments.models import Patient; from clinic.appointments.services import patient_update\n"
        "from tenancy.context import tenant_context\n"
        f"with tenant_context(org={clinic_b['org']!r}):\n"
        f"    patient_update(patient=Patient.objects.get(), phone={clinic_a['phones'][0]!r})\n",
    )
    shell(worker_db, QUEUE_THEN_OPT_OUT.format(clinics=json.dumps([clinic_a, clinic_b])))
    output = run_workers(worker_db)
    phone = clinic_a["phones"][0]
    sent = [line for line in output.splitlines() if line.startswith("[SMS ") and f"-> {phone}]" in line]
    assert len(sent) == 1 and clinic_b["sender"] in sent[0], output[-3000:]
    rows = sql(
        worker_db,
        "SELECT o.slug, m.status, m.error_code FROM messaging_smsmessage m "
        "JOIN tenancy_organization o ON o.id = m.organization_id WHERE m.direction = 'out' ORDER BY o.slug",
    )
    assert rows == [["worker-a", "failed", "opted_out"], ["worker-b", "sent", ""]]


# Clinic A's two patients share one phone (a family phone), and clinic B's two
# patients have that number too. Each clinic's due requests are claimed
# (their messages `queued`), then the family phone texts STOP to clinic A, and the
# send jobs are deferred.
FAMILY_PHONE_STOP = """
import json
from clinic.appointments.models import Patient
from clinic.appointments.services import patient_update
from clinic.messaging import delivery, inbound, tasks
from tenancy.context import tenant_context
clinics = json.loads({clinics!r})
phone = clinics[0]["phones"][0]
for index, clinic in enumerate(clinics):
    with tenant_context(org=clinic["org"]):
        for patient in Patient.objects.all():
            patient_update(patient=patient, phone=phone)
        messages = [delivery.queue_confirmation(request_id) for request_id in clinic["requests"]]
        if index == 0:
            inbound.receive_text(provider_message_id="SMfamilystop", from_number=phone, to_number=clinic["sender"],
                                 body="STOP")
        for message in messages:
            if message is not None:
                tasks.defer_delivery(message)
"""


def test_a_stop_from_a_family_phone_stops_texts_to_every_patient_with_it(worker_db):
    out = shell(worker_db, "from tests.support.sms_worker_seed import seed; seed(2)")
    clinic_a, clinic_b = json.loads(out.strip().splitlines()[-1])
    phone = clinic_a["phones"][0]
    shell(worker_db, FAMILY_PHONE_STOP.format(clinics=json.dumps([clinic_a, clinic_b])))
    output = run_workers(worker_db)
    sent = [line for line in output.splitlines() if line.startswith("[SMS ") and f"-> {phone}]" in line]
    # From clinic A only the STOP's own confirmation; clinic B (its own list) texts both its patients.
    from_a = [line for line in sent if clinic_a["sender"] in line]
    assert len(from_a) == 1 and len(sent) == 3, output[-3000:]
    rows = sql(
        worker_db,
        "SELECT o.slug, m.kind, m.status, m.error_code FROM messaging_smsmessage m "
        "JOIN tenancy_organization o ON o.id = m.organization_id WHERE m.direction = 'out' "
        "ORDER BY o.slug, m.kind, m.status",
    )
    assert rows == [
        ["worker-a", "confirmation", "failed", "opted_out"],
        ["worker-a", "confirmation", "failed", "opted_out"],
        ["worker-a", "reply", "sent", ""],
        ["worker-b", "confirmation", "sent", ""],
        ["worker-b", "confirmation", "sent", ""],
    ]
    consent = sql(
        worker_db,
        "SELECT o.slug, p.sms_consent FROM appointments_patient p "
        "JOIN tenancy_organization o ON o.id = p.organization_id ORDER BY o.slug, p.first_name",
    )
    assert consent == [
        ["worker-a", "opted_out"],
        ["worker-a", "opted_out"],
        ["worker-b", "opted_in"],
        ["worker-b", "opted_in"],
    ]
