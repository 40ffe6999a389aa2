"""Which worker processes take which queues (no Django here: scripts/serve.py reads it
before anything is set up).

Texts to patients must never wait behind calls to addresses clinics chose. A
procrastinate worker takes jobs from its queues in order, up to its concurrency, so
one slow endpoint or calendar server holding its slots holds every queue that worker
serves. Hence two workers: one for `sms` alone, whose calls go to the platform's own
provider, and one for everything that calls out to clinics' addresses (`webhooks`,
`calendars`), the recording downloads (`voice`, which must not hold up texts either) and
the platform's housekeeping (`maintenance`, `builtin`). Within the second, a
clinic takes at most JOBS_IN_FLIGHT_PER_CLINIC slots per kind (tenancy.job_slots), so
OUTBOUND_CONCURRENCY above that leaves room for every other clinic."""

from __future__ import annotations

SMS_QUEUES = ("sms",)
# `builtin`: procrastinate's own housekeeping tasks (remove_old_jobs), when deferred.
OUTBOUND_QUEUES = ("webhooks", "calendars", "voice", "maintenance", "builtin")

SMS_CONCURRENCY = 2
OUTBOUND_CONCURRENCY = 4

# name -> (queues, concurrency)
WORKERS = {
    "sms": (SMS_QUEUES, SMS_CONCURRENCY),
    "outbound": (OUTBOUND_QUEUES, OUTBOUND_CONCURRENCY),
}


def worker_arguments(name: str) -> list[str]:
    """`manage.py` arguments of the worker `name`, e.g. `worker --queues sms --concurrency 2`
    (procrastinate's worker, started again after a database error: tenancy's `worker`)."""
    queues, concurrency = WORKERS[name]
    return ["worker", "--queues", ",".join(queues), "--concurrency", str(concurrency)]
