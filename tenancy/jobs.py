"""Tenant-scoped background jobs (procrastinate).

A job's clinic comes from its payload, written by the server when it deferred the
job, never from anything the job reads later. `tenant_task` wraps a task body so it
runs inside tenant_context() of the `organization_id` it was deferred with; a job
without one is refused, not run unscoped (the system Clinic replaces ran its worker
outside the tenant model entirely).

Before the body runs, the organization's status is asked about the task by name
(tenancy.status, surface "task"): a refused job returns None without running, and so
does a job whose organization is gone. What a refused job's work becomes (left
waiting, or dropped) is the product's to say where it declares its rule."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from procrastinate import JobContext

from tenancy import job_slots, status
from tenancy.context import tenant_context
from tenancy.models import Organization

logger = logging.getLogger(__name__)


class JobWithoutTenant(ValueError):
    """A tenant task was deferred or run without an organization."""


def organization_id_of(kwargs: dict[str, Any]) -> uuid.UUID:
    raw = kwargs.get("organization_id")
    if not raw:
        raise JobWithoutTenant("A tenant job needs organization_id; refusing to run it unscoped.")
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise JobWithoutTenant(f"organization_id {raw!r} is not a UUID.") from None


def tenant_task(
    app,
    *,
    per_step: bool = False,
    in_flight: str | None = None,
    lease_seconds: Callable[[], float] | None = None,
    **task_options,
) -> Callable:
    """Like `app.task(...)`, but the body runs as the job's clinic:

        @tenant_task(app, queue="sms")
        def send(*, organization_id: str, message_id: str) -> None: ...

    The body receives the same keyword arguments and runs in one tenant transaction;
    Django's ORM and RLS both see only that clinic. A body that must commit between
    steps (to claim work before calling a provider) asks for `per_step=True` and gets
    `step`: each `with step():` is a tenant transaction of the job's clinic, and
    between them nothing of any clinic is visible.

    `in_flight="webhooks"` bounds how many jobs of that kind one clinic runs at once
    (settings.JOBS_IN_FLIGHT_PER_CLINIC, across all workers; tenancy.job_slots): a job
    that finds its clinic's slots all held is deferred again a moment later, the same
    task, arguments and locks, and returns without running. `lease_seconds()` is the
    longest such a job can take (a killed worker's slot frees itself after it)."""

    def decorate(body: Callable) -> Any:
        # procrastinate names the task after the wrapped function.
        name = f"{body.__module__}.{body.__name__}"

        @functools.wraps(body)
        def run_in_tenant(*args, **kwargs):
            org_id = organization_id_of(kwargs)
            if per_step:
                # The status is read in a transaction of its own: the body's steps
                # commit one by one, and none of them may start for a refused clinic.
                with tenant_context(org=org_id):
                    refused = job_refused(name, org_id)
                if refused:
                    return None
                return body(*args, step=functools.partial(tenant_context, org=org_id), **kwargs)
            with tenant_context(org=org_id):
                if job_refused(name, org_id):
                    return None
                return body(*args, **kwargs)

        if in_flight is None:
            return app.task(name=name, **task_options)(run_in_tenant)
        if lease_seconds is None:
            raise TypeError("tenant_task(in_flight=...) needs lease_seconds.")

        @functools.wraps(body)
        def run_in_turn(*args, **kwargs):
            if not (args and isinstance(args[0], JobContext)):
                # Called as a function (a test, a shell), not run by a worker: there is
                # no job to defer again, and no worker slot to spare.
                return run_in_tenant(*args, **kwargs)
            context, *args = args
            org_id = organization_id_of(kwargs)
            limit = settings.JOBS_IN_FLIGHT_PER_CLINIC
            with job_slots.held(org_id, in_flight, limit=limit, lease_seconds=lease_seconds()) as running:
                if running:
                    return run_in_tenant(*args, **kwargs)
            _defer_again(app, context.job, job_slots.retry_delay())
            return None

        return app.task(name=name, pass_context=True, **task_options)(run_in_turn)

    return decorate


def job_refused(task_name: str, org_id: uuid.UUID) -> bool:
    """Inside the job's tenant context: whether its organization's status refuses the
    task (its own row is visible to its proven tenant; no unscoped query). An
    organization that is gone refuses everything: there is nothing left to act for."""
    organization = Organization.objects.filter(pk=org_id).first()
    refused = "gone" if organization is None else status.refusal(organization, status.TASK, task_name)
    if refused:
        logger.info("job %s of organization %s not run: the organization is %s", task_name, org_id, refused)
    return bool(refused)


def _defer_again(app, job, seconds: float) -> None:
    """The same job once more, `seconds` from now; this one ends without running. Its
    queueing lock allows it (it guards jobs waiting, and this one is running); if the
    same work is already waiting again, that one will do. The copy starts with
    procrastinate's attempt count at zero (defer() cannot set it), so the bodies keep
    their own count where it decides anything: a webhook delivery's attempts, a CalDAV
    connection's failures in a row."""
    from procrastinate import exceptions

    deferrer = app.configure_task(
        name=job.task_name,
        queue=job.queue,
        lock=job.lock,
        queueing_lock=job.queueing_lock,
        priority=job.priority,
        schedule_in={"seconds": seconds},
    )
    try:
        deferrer.defer(**job.task_kwargs)
    except exceptions.AlreadyEnqueued:
        pass


def defer_on_commit(task, *, lock: str | None = None, queueing_lock: str | None = None, **kwargs) -> None:
    """Defer `task(**kwargs)` once the current transaction commits (never for a
    rolled-back change). Tenant tasks must name their organization_id."""
    organization_id_of(kwargs)
    payload = {key: str(value) if isinstance(value, uuid.UUID) else value for key, value in kwargs.items()}
    options = {key: value for key, value in (("lock", lock), ("queueing_lock", queueing_lock)) if value}

    def defer() -> None:
        from procrastinate import exceptions

        try:
            task.configure(**options).defer(**payload)
        except exceptions.AlreadyEnqueued:
            pass  # the same work is already waiting in the queue

    transaction.on_commit(defer)


def defer_per_clinic(task, lookup_sql: str, params: list | tuple = (), *, lock_prefix: str) -> int:
    """A periodic tick's fan-out: one narrow pre-tenant function (`lookup_sql`, which
    returns clinic ids and nothing else) names the clinics with work, and each gets one
    `task(organization_id=…)`, which runs in that clinic's tenant context. The queueing
    lock keeps one such job per clinic waiting at a time. Returns how many clinics."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(lookup_sql, params)
        clinics = [row[0] for row in cursor.fetchall()]
    for org_id in clinics:
        defer_on_commit(task, organization_id=org_id, queueing_lock=f"{lock_prefix}:{org_id}")
    return len(clinics)


def commit_without_waiting_for_disk() -> None:
    """Let the current transaction commit without waiting for its WAL to reach the
    disk. For a job step whose work, if a crash of PostgreSQL lost it, is simply done
    again: a claim made again, an answer asked for again."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO off")
