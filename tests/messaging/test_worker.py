"""The real worker: `manage.py procrastinate worker` processes, the console
backend, and a database of their own (a worker sees only committed rows, so these
tests cannot run inside a test transaction)."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from tests.support.worker_harness import own_database, run_workers, shell, sql

pytestmark = pytest.mark.worker


@pytest.fixture
def worker_db():
    with own_database("test_clinic_worker", SMS_BACKEND="console") as env:
        yield env


def seed(env, count: int) -> list[dict]:
    out = shell(env, f"from tests.support.sms_worker_seed import seed; seed({count})")
    return json.loads(out.strip().splitlines()[-1])


def defer_tick(env) -> None:
    shell(env, "from clinic.messaging.tasks import tick; tick.defer(timestamp=0)")


def texts_to(output: str, phone: str) -> int:
    return sum(1 for line in output.splitlines() if line.startswith("[SMS ") and f"-> {phone}]" in line)


def test_a_due_appointment_is_texted_and_a_signed_reply_confirms_it(worker_db):
    (clinic_a, clinic_b) = seed(worker_db, 1)
    defer_tick(worker_db)
    output = run_workers(worker_db)
    assert texts_to(output, clinic_a["phones"][0]) == 1
    assert sql(worker_db, "SELECT status, kind FROM messaging_smsmessage WHERE direction = 'out'") == [
        ["sent", "confirmation"],
        ["sent", "confirmation"],
    ]
    # The patient answers "c" through the signed webhook, as Twilio would post it.
    reply = (
        "from django.test import Client; from tests.support.sms import reply; "
        f"print(reply(Client(), to={clinic_a['sender']!r}, from_={clinic_a['phones'][0]!r}, body='c').status_code)"
    )
    assert shell(worker_db, reply).strip().endswith("200")
    statuses = sql(
        worker_db,
        "SELECT o.slug, a.status FROM appointments_appointment a "
        "JOIN tenancy_organization o ON o.id = a.organization_id ORDER BY o.slug",
    )
    assert statuses == [["worker-a", "confirmed"], ["worker-b", "scheduled"]]
    # The confirmation of the answer goes out through the worker too.
    output = run_workers(worker_db)
    assert texts_to(output, clinic_a["phones"][0]) == 1
    assert sql(worker_db, f"SELECT count(*) FROM messaging_smsmessage WHERE organization_id = '{clinic_a['org']}'") == [
        ["3"]
    ]


def test_two_workers_racing_text_each_patient_once(worker_db):
    clinics = seed(worker_db, 15)
    defer_tick(worker_db)
    # Each clinic's dispatch deferred three more times, without the queueing lock: the
    # two workers race to claim the same due requests.
    shell(
        worker_db,
        "from clinic.messaging.tasks import dispatch_clinic; import json\n"
        f"for clinic in json.loads({json.dumps(json.dumps(clinics))}):\n"
        "    for _ in range(3):\n"
        "        dispatch_clinic.defer(organization_id=clinic['org'])\n",
    )
    output = run_workers(worker_db, count=2, concurrency=3)
    for clinic in clinics:
        for phone in clinic["phones"]:
            assert texts_to(output, phone) == 1, output[-3000:]
    assert sql(worker_db, "SELECT count(*) FROM messaging_smsmessage") == [["30"]]
    assert sql(worker_db, "SELECT DISTINCT status FROM messaging_smsmessage") == [["sent"]]


def test_the_same_send_job_twice_texts_once(worker_db):
    (clinic_a, _) = seed(worker_db, 1)
    shell(
        worker_db,
        "from tenancy.context import tenant_context; from clinic.messaging.delivery import queue_confirmation\n"
        "from clinic.messaging.tasks import send_message\n"
        f"with tenant_context(org={clinic_a['org']!r}):\n"
        f"    message = queue_confirmation({clinic_a['requests'][0]!r})\n"
        "for _ in range(2):\n"
        f"    send_message.defer(organization_id={clinic_a['org']!r}, message_id=str(message.id))\n",
    )
    output = run_workers(worker_db, concurrency=2)
    assert texts_to(output, clinic_a["phones"][0]) == 1
    jobs_for_a = (
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name LIKE '%%send_message' "
        f"AND args->>'organization_id' = '{clinic_a['org']}'"
    )
    assert sql(worker_db, jobs_for_a) == [["2"]]


def test_a_worker_killed_between_claim_and_send_texts_once(worker_db):
    (clinic_a, _) = seed(worker_db, 1)
    # What a worker killed after claiming leaves behind: a committed `queued` message
    # (older than the stale limit) and no live job to send it.
    shell(
        worker_db,
        "import datetime as dt; from django.utils import timezone; from tenancy.context import tenant_context\n"
        "from clinic.messaging.delivery import queue_confirmation; from clinic.messaging.models import SmsMessage\n"
        f"with tenant_context(org={clinic_a['org']!r}):\n"
        f"    message = queue_confirmation({clinic_a['requests'][0]!r})\n"
        "    stale = timezone.now() - dt.timedelta(minutes=5)\n"
        "    SmsMessage.objects.filter(pk=message.pk).update(status_changed_at=stale)\n",
    )
    defer_tick(worker_db)
    output = run_workers(worker_db)
    assert texts_to(output, clinic_a["phones"][0]) == 1
    defer_tick(worker_db)
    output = run_workers(worker_db)
    assert texts_to(output, clinic_a["phones"][0]) == 0
    assert sql(worker_db, f"SELECT status FROM messaging_smsmessage WHERE organization_id = '{clinic_a['org']}'") == [
        ["sent"]
    ]


def test_the_worker_refuses_a_job_without_a_clinic(worker_db):
    seed(worker_db, 0)  # clinics with nothing due: the only dispatch job is the bad one
    shell(worker_db, "from clinic.messaging.tasks import dispatch_clinic; dispatch_clinic.defer(organization_id='')")
    output = run_workers(worker_db)
    assert "JobWithoutTenant" in output or "refusing to run it unscoped" in output
    assert sql(worker_db, "SELECT status FROM procrastinate_jobs WHERE task_name LIKE '%dispatch_clinic'") == [
        ["failed"]
    ]
    assert sql(worker_db, "SELECT count(*) FROM messaging_smsmessage") == [["0"]]


def test_a_text_held_by_the_patients_quiet_hours_goes_once_their_window_opens(worker_db):
    """Real time, real workers: the patient's sending window (in their own zone) opens
    a little after the seed. Before, the worker's dispatch finds nothing due and sends
    nothing; after, the next tick sends the text once."""
    out = shell(worker_db, "from tests.support.sms_worker_seed import seed_night_for_the_patient as s; s(40)")
    night = json.loads(out.strip().splitlines()[-1])
    opens = dt.datetime.fromisoformat(night["due_at"])
    assert opens > dt.datetime.now(dt.UTC)  # held: due at once by its lead time, but not yet for the patient
    defer_tick(worker_db)
    output = run_workers(worker_db)
    assert texts_to(output, night["phone"]) == 0
    assert sql(worker_db, "SELECT status FROM messaging_confirmationrequest") == [["pending"]]
    time.sleep(max(0.0, (opens - dt.datetime.now(dt.UTC)).total_seconds()) + 1)
    defer_tick(worker_db)
    output = run_workers(worker_db)
    assert texts_to(output, night["phone"]) == 1
    assert sql(worker_db, "SELECT status FROM messaging_smsmessage") == [["sent"]]


# --- one confirmation request per sending opportunity (clinic.messaging.merging) -----


def seeded(env, call: str) -> dict:
    out = shell(env, f"from tests.support import sms_worker_seed; sms_worker_seed.{call}")
    return json.loads(out.strip().splitlines()[-1])


def test_reminders_pushed_to_the_same_window_opening_go_as_one_text(worker_db):
    """Booked at night for the next morning: the 48 h reminder (past) and the 2 h one
    (its own time still in the night) both wait for 08:00, and only one text goes."""
    seed_out = seeded(worker_db, "seed_reminders_at_window_opening(30)")
    requests = seed_out["requests"]
    assert requests["2880"][0] == "skipped" and requests["2880"][2].startswith("Merged into the 2 h reminder")
    assert requests["120"][0] == "pending"
    opens = dt.datetime.fromisoformat(requests["120"][1])
    assert opens > dt.datetime.now(dt.UTC)
    time.sleep(max(0.0, (opens - dt.datetime.now(dt.UTC)).total_seconds()) + 1)
    defer_tick(worker_db)
    assert texts_to(run_workers(worker_db), seed_out["phone"]) == 1
    defer_tick(worker_db)
    assert texts_to(run_workers(worker_db), seed_out["phone"]) == 0
    assert sql(worker_db, "SELECT lead_minutes, status FROM messaging_confirmationrequest ORDER BY lead_minutes") == [
        ["120", "queued"],
        ["2880", "skipped"],
    ]


def test_an_appointment_booked_just_over_two_hours_ahead_gets_one_text(worker_db):
    """The 48 h reminder goes at once; the 2 h one, due seconds later, is the same
    opportunity and never goes."""
    seed_out = seeded(worker_db, "seed_booked_two_hours_ahead(20)")
    defer_tick(worker_db)
    assert texts_to(run_workers(worker_db), seed_out["phone"]) == 1
    time.sleep(21)  # the 2 h reminder's own time has come
    defer_tick(worker_db)
    assert texts_to(run_workers(worker_db), seed_out["phone"]) == 0
    rows = sql(worker_db, "SELECT lead_minutes, status, skip_reason FROM messaging_confirmationrequest ORDER BY 1")
    assert [row[:2] for row in rows] == [["120", "skipped"], ["2880", "queued"]]
    assert rows[0][2].startswith("Merged into the 48 h reminder")
    assert sql(worker_db, "SELECT count(*) FROM messaging_smsmessage") == [["1"]]


def test_send_confirmation_now_satisfies_the_reminder_still_waiting(worker_db):
    """Staff send a request by hand while the 48 h reminder (past at booking) waits for
    the worker: the worker sends only the hand-sent one; the 2 h reminder, a day
    later, still stands."""
    seed_out = seeded(worker_db, "seed_sent_by_hand_before_the_worker(30)")
    assert seed_out["requests"]["2880"][0] == "skipped"
    assert seed_out["requests"]["2880"][2].startswith("Merged into the request sent by hand")
    assert seed_out["requests"]["120"][0] == "pending"
    defer_tick(worker_db)
    assert texts_to(run_workers(worker_db), seed_out["phone"]) == 1
    assert sql(worker_db, "SELECT lead_minutes, status FROM messaging_confirmationrequest ORDER BY 1") == [
        ["120", "pending"],
        ["2880", "skipped"],
        ["None", "queued"],
    ]


def test_a_reminder_six_minutes_after_a_hand_sent_request_is_not_sent(worker_db):
    """22:57 by hand, 23:03 automatic: the reminder's own time is minutes away, so the
    hand-sent request already is it."""
    seed_out = seeded(worker_db, "seed_sent_by_hand_before_the_worker(2.1)")
    assert seed_out["requests"]["120"][0] == "skipped"
    defer_tick(worker_db)
    assert texts_to(run_workers(worker_db), seed_out["phone"]) == 1
    assert sql(worker_db, "SELECT count(*) FROM messaging_smsmessage") == [["1"]]


def test_two_workers_claiming_two_due_reminders_text_once(worker_db):
    """Both reminders pending and due (planned apart), several dispatch jobs, two
    workers: each appointment's lock lets one claim send, and it merges the other."""
    seed_out = seeded(worker_db, "seed_requests_planned_apart(8)")
    shell(
        worker_db,
        "from clinic.messaging.tasks import dispatch_clinic\n"
        f"for _ in range(4):\n    dispatch_clinic.defer(organization_id={seed_out['org']!r})\n",
    )
    output = run_workers(worker_db, count=2, concurrency=3)
    for phone in seed_out["phones"]:
        assert texts_to(output, phone) == 1, output[-3000:]
    assert sql(worker_db, "SELECT status, count(*) FROM messaging_confirmationrequest GROUP BY 1 ORDER BY 1") == [
        ["queued", "8"],
        ["skipped", "8"],
    ]
