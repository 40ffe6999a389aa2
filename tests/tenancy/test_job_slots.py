"""A clinic's job slots (tenancy.job_slots): at most `limit` of one kind held at once,
per clinic and per kind; a released slot, or one whose lease ran out (a killed
worker's), is taken again. The worker's side, jobs deferred again instead of run, is
in tests/platform/test_fairness_worker.py."""

from __future__ import annotations

import pytest

from tenancy import job_slots
from tenancy.context import tenant_context
from tenancy.models import JobSlot

pytestmark = pytest.mark.django_db


def claim(org, kind: str = "webhooks", *, limit: int = 2, lease: float = 60):
    return job_slots.claim(org.id, kind, limit=limit, lease_seconds=lease)


def test_a_clinic_holds_at_most_its_limit_of_one_kind(org_a, org_b):
    first, second = claim(org_a), claim(org_a)
    assert {first[0], second[0]} == {0, 1}
    assert claim(org_a) is None
    # Another clinic, or another kind of job, has slots of its own.
    assert claim(org_b) is not None
    assert claim(org_a, "calendars") is not None

    job_slots.release(org_a.id, "webhooks", *first)
    assert claim(org_a)[0] == first[0]
    assert claim(org_a) is None


def test_a_lapsed_lease_is_taken_over_and_its_late_release_frees_nothing(org_a):
    lapsed = claim(org_a, limit=1, lease=0)  # a worker killed mid-job: its lease runs out
    taken = claim(org_a, limit=1)
    assert taken is not None and taken[0] == lapsed[0]
    job_slots.release(org_a.id, "webhooks", *lapsed)  # the first job's release, late
    assert claim(org_a, limit=1) is None  # the slot is still the second job's


def test_held_runs_the_body_only_with_a_slot_and_gives_it_back(org_a):
    with job_slots.held(org_a.id, "webhooks", limit=1, lease_seconds=60) as running:
        assert running is True
        with job_slots.held(org_a.id, "webhooks", limit=1, lease_seconds=60) as second:
            assert second is False
    with tenant_context(org=org_a):
        assert JobSlot.objects.count() == 0
    with pytest.raises(RuntimeError), job_slots.held(org_a.id, "webhooks", limit=1, lease_seconds=60):
        raise RuntimeError("the job failed")
    with tenant_context(org=org_a):
        assert JobSlot.objects.count() == 0  # released all the same
